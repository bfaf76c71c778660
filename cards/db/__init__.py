"""The few statements the ORM cannot afford, one module per statement or family.

Each statement's docstring gives the measurement that justified writing it in SQL. Dialect
differences live in `cards.db.dialect`; rows are read by column name into dataclasses (or,
where a caller needs a model, into a model instance whose own fields only are set). Nothing
outside this package holds SQL text."""
