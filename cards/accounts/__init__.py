"""Who a request is: the session store with the signed-in user, the auth backend, and the
signals that keep roles and enrolments in step."""
