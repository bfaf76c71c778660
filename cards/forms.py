import zoneinfo

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm
from django.db.models import Q
from django.utils import timezone

from cards.core.grading import CLOZE_KEY, cloze_back
from cards.core.rendering import plain_line
from cards.models import Course, Passage, Question, Quiz, Topic

# Every zone the time zone database knows (as Django's own checks accept), by name; not the
# "localtime" and "Factory" placeholders.
ALL_TIMEZONES = sorted(zoneinfo.available_timezones() - {"localtime", "Factory", "posixrules"})
# A datetime picker in the browser's own format; Django reads its ISO value.
LOCAL_TIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class SignUpForm(UserCreationForm):
    """Validates a sign-up (a free username, matching passwords that pass the validators, a
    time zone). It writes nothing: the view passes `registration()` to
    cards.services.accounts.register_student."""

    email = forms.EmailField(required=True)
    timezone = forms.ChoiceField(
        choices=[(tz, tz) for tz in ALL_TIMEZONES],
        initial="UTC",
        label="Time zone",
        help_text="Your study day starts at 04:00 in this time zone, and times are shown in it.",
        # cards/timezone.js picks the browser's zone; without JavaScript, choose it here.
        widget=forms.Select(attrs={"data-browser-zone": ""}),
    )

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username", "email")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.is_bound:  # the zone the student chose stays chosen when the form comes back
            self.fields["timezone"].widget.attrs.pop("data-browser-zone", None)

    def registration(self) -> dict:
        """The validated sign-up, as register_student's keyword arguments."""
        data = self.cleaned_data
        return {
            "username": data["username"],
            "email": data["email"],
            "password": data["password1"],
            "timezone_name": data["timezone"],
        }

    def save(self, commit=True):
        raise NotImplementedError("A sign-up is written by cards.services.accounts.register_student.")


class JoinCourseForm(forms.Form):
    code = forms.CharField(max_length=12, label="Join code")


# --- instructor forms -------------------------------------------------------------------

MAX_CHOICES = 8
CHANGE_CHOICES = [
    ("minor", "Minor fix: keep students' progress"),
    ("substantive", "Substantive change: reset students' cards for this question"),
]


def _steps(value: str, label: str) -> list[int]:
    try:
        steps = [int(part) for part in value.replace(",", " ").split()]
    except ValueError as exc:
        raise forms.ValidationError(f"{label}: whole minutes separated by spaces, e.g. '1 10'.") from exc
    if any(s <= 0 or s > 1440 for s in steps):
        raise forms.ValidationError(f"{label}: each step between 1 and 1440 minutes.")
    return steps


class RetentionPercent(forms.IntegerField):
    """Desired retention as people say it, a whole percentage (70-99), stored as a share."""

    MIN, MAX = 70, 99
    MESSAGE = f"Desired retention is a whole percentage from {MIN} to {MAX}, e.g. 90."

    def __init__(self, **kwargs):
        kwargs.setdefault("label", "Desired retention (%)")
        super().__init__(
            min_value=self.MIN,
            max_value=self.MAX,
            widget=forms.NumberInput(attrs={"step": 1, "inputmode": "numeric"}),
            error_messages=dict.fromkeys(("invalid", "min_value", "max_value"), self.MESSAGE),
            **kwargs,
        )

    def prepare_value(self, value):
        # The stored share (0.9) shown as the percentage (90); a typed value stays as typed.
        if isinstance(value, float) and value <= 1:
            return round(value * 100)
        return value

    def clean(self, value):
        percent = super().clean(value)
        return None if percent is None else round(percent / 100, 4)


class CourseForm(forms.ModelForm):
    desired_retention = RetentionPercent(
        initial=0.9,
        help_text="The share of reviews the scheduler aims for students to remember, as a percentage "
        "(70-99; 90 is a good start). Higher means more reviews. Students may set their own.",
    )
    safety_retention = RetentionPercent(
        initial=0.95,
        required=False,
        label="Safety-critical retention (%)",
        help_text="The desired retention of the questions marked safety-critical (withdrawal, interactions), "
        "as a percentage (70-99; 95 by default). A student's own higher retention wins.",
    )
    learning_steps = forms.CharField(initial="1 10", help_text="Minutes, e.g. '1 10'.")
    relearning_steps = forms.CharField(initial="10", help_text="Minutes after a lapse, e.g. '10'.")

    class Meta:
        model = Course
        fields = [
            "title",
            "is_open",
            "desired_retention",
            "safety_retention",
            "new_per_day",
            "reviews_per_day",
            "learning_steps",
            "relearning_steps",
            "maximum_interval",
            "enable_fuzz",
            "bury_siblings",
            "exam_date",
        ]
        widgets = {"exam_date": forms.DateInput(attrs={"type": "date"})}
        labels = {
            "is_open": "Open to every student",
            "new_per_day": "New cards per day",
            "reviews_per_day": "Reviews per day",
            "maximum_interval": "Longest interval (days)",
            "enable_fuzz": "Spread due dates a little",
            "exam_date": "Exam date",
        }
        help_texts = {
            "is_open": "Students find an open course without a join code.",
            "enable_fuzz": "Spread reviews a little so cards learnt together do not all come back the same day.",
            "exam_date": "Optional. Until then every card comes back before the exam day; students may set their own.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["learning_steps"] = " ".join(str(s) for s in self.instance.learning_steps)
            self.initial["relearning_steps"] = " ".join(str(s) for s in self.instance.relearning_steps)

    def clean_safety_retention(self):
        # Left empty (a form from before the setting): the course keeps its own.
        value = self.cleaned_data.get("safety_retention")
        return self.instance.safety_retention if value is None else value

    def clean_learning_steps(self):
        return _steps(self.cleaned_data["learning_steps"], "Learning steps")

    def clean_relearning_steps(self):
        return _steps(self.cleaned_data["relearning_steps"], "Relearning steps")


class DeckForm(forms.Form):
    title = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


class SourceForm(forms.Form):
    title = forms.CharField(max_length=200)
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 12}),
        required=False,
        help_text="Paste the material, or upload a .txt/.md file below.",
    )
    upload = forms.FileField(required=False, label="Or upload a .txt or .md file")

    MAX_UPLOAD = 2 * 1024 * 1024

    def clean(self):
        data = super().clean()
        upload = data.get("upload")
        if upload:
            if not upload.name.lower().endswith((".txt", ".md")):
                self.add_error("upload", "Upload a .txt or .md file.")
            elif upload.size > self.MAX_UPLOAD:
                self.add_error("upload", "The file is larger than 2 MB.")
            else:
                try:
                    data["text"] = upload.read().decode("utf-8")
                except UnicodeDecodeError:
                    self.add_error("upload", "The file is not UTF-8 text.")
        if not (data.get("text") or "").strip() and not self.errors:
            self.add_error("text", "Paste the text or upload a file.")
        return data


class CoInstructorForm(forms.Form):
    username = forms.CharField(max_length=150, label="Add a co-instructor (username)")


class ReportForm(forms.Form):
    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), max_length=2000, label="What is wrong with this question?"
    )


class QuestionForm(forms.Form):
    """The question editor. Choice rows are plain numbered fields so the form works
    without JavaScript; validation is the bank validator's, shown next to each field."""

    kind = forms.ChoiceField(choices=Question.Kind.choices)
    topic = forms.ModelChoiceField(queryset=Topic.objects.all(), to_field_name="slug", empty_label=None)
    prompt = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Markdown: *emphasis*, lists, tables (| a | b |), H~2~O, Ca^2+^, images (the Image button). "
        "Cloze: {{c1::answer}} or {{c1::answer::hint}}.",
    )
    back = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, label="Back (flashcards)")
    answers = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        label="Accepted answers (short answer)",
        help_text="One per line.",
    )
    alternatives = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "c1: CNS; brain and spinal cord"}),
        required=False,
        label="Also accepted (cloze)",
        help_text=(
            "One line per blank: its number, a colon, then what else a student may type, separated by "
            "semicolons (c1: CNS; brain and spinal cord). The blank's own text is always accepted and "
            "is what students see as the answer; list abbreviations and synonyms, never a broader term."
        ),
    )
    explanation = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="Why the answer is right: students see it after answering.",
    )
    tags = forms.CharField(required=False, help_text="Comma-separated.")
    passage = forms.ModelChoiceField(
        queryset=Passage.objects.none(),
        required=False,
        label="Cited passage",
        empty_label="No passage cited",
        help_text="Where the answer is in the source material: students see it, quoted, after answering.",
    )
    quote = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text="Verbatim from the passage: select it in the passage text to fill this in.",
    )
    safety_critical = forms.BooleanField(
        required=False,
        label="Safety-critical",
        help_text="Scheduled at the course's safety retention (95% by default) and flagged in class analytics "
        "when the class's predicted recall falls below it: withdrawal, interactions.",
    )
    status = forms.ChoiceField(choices=Question.Status.choices, initial="draft")
    change = forms.ChoiceField(
        choices=CHANGE_CHOICES, initial="minor", required=False, widget=forms.RadioSelect, label="This edit is a"
    )

    def __init__(self, *args, deck, question=None, initial_data: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.deck = deck
        self.question = question
        # The deck's sources' passages, and those its questions cite even if their source is
        # not (or no longer) the deck's: an edit, and its live preview, keep the citation.
        self.fields["passage"].queryset = (
            Passage.objects.filter(Q(source__decks=deck) | Q(questions__deck=deck))
            .distinct()
            .select_related("source")
            .order_by("source__title", "order")
        )
        self.fields["passage"].label_from_instance = lambda p: f"{p.source.title}: {p.label}"
        for i in range(1, MAX_CHOICES + 1):
            self.fields[f"choice_{i}_text"] = forms.CharField(required=False, label=f"Choice {i}")
            self.fields[f"choice_{i}_correct"] = forms.BooleanField(required=False, label=f"Choice {i} is correct")
            self.fields[f"choice_{i}_feedback"] = forms.CharField(
                required=False,
                label=f"Feedback for choice {i}",
                widget=forms.TextInput(attrs={"placeholder": "Shown after answering: why it is right or wrong"}),
            )
        if initial_data:
            self._set_initial(initial_data)
        self.choice_errors: list[str] = []

    def _set_initial(self, data: dict) -> None:
        for name in ("kind", "topic", "prompt", "back", "explanation", "status"):
            self.initial[name] = data.get(name, "")
        answers = data.get("answers") or []
        if isinstance(answers, dict):
            self.initial["alternatives"] = "\n".join(f"{key}: {'; '.join(alts)}" for key, alts in answers.items())
        else:
            self.initial["answers"] = "\n".join(answers)
        self.initial["tags"] = ", ".join(data.get("tags", []))
        self.initial["safety_critical"] = bool(data.get("safety_critical"))
        src = data.get("source") or {}
        if src:
            self.initial["passage"] = (
                Passage.objects.filter(source__slug=src.get("source"), key=src.get("passage"))
                .values_list("pk", flat=True)
                .first()
            )
            self.initial["quote"] = src.get("quote", "")
        for i, choice in enumerate(data.get("choices", []), start=1):
            self.initial[f"choice_{i}_text"] = choice["text"]
            self.initial[f"choice_{i}_correct"] = choice["correct"]
            self.initial[f"choice_{i}_feedback"] = choice.get("feedback", "")

    def initial_as_data(self) -> dict:
        """The form's initial values as posted data: the saved question, to preview it."""
        data = {}
        for name in self.fields:
            value = self[name].value()
            if value not in (None, False, ""):
                data[name] = value
        return data

    def clean_alternatives(self) -> dict[str, list[str]]:
        """'c1: CNS; brain and spinal cord' lines -> {"c1": ["CNS", "brain and spinal cord"]}."""
        alternatives: dict[str, list[str]] = {}
        for line in (self.cleaned_data.get("alternatives") or "").splitlines():
            if not line.strip():
                continue
            key, colon, rest = line.partition(":")
            key = key.strip().lower()
            if not colon or not CLOZE_KEY.fullmatch(key):
                raise forms.ValidationError(
                    "Start each line with its blank and a colon, e.g. c1: CNS; brain and spinal cord "
                    f"(not {line.strip()!r})."
                )
            items = [item.strip() for item in rest.split(";") if item.strip()]
            alternatives.setdefault(key, []).extend(items)
        return {key: items for key, items in alternatives.items() if items}

    def choice_rows(self):
        return [
            (i, self[f"choice_{i}_text"], self[f"choice_{i}_correct"], self[f"choice_{i}_feedback"])
            for i in range(1, MAX_CHOICES + 1)
        ]

    def to_data(self) -> dict:
        """The question in the bank format (what the services validate and store)."""
        cd = self.cleaned_data
        kind = cd.get("kind", "")
        choices = []
        if kind in ("single", "multiple", "truefalse"):
            for i in range(1, MAX_CHOICES + 1):
                text = (cd.get(f"choice_{i}_text") or "").strip()
                if text:
                    choices.append(
                        {
                            "text": text,
                            "correct": bool(cd.get(f"choice_{i}_correct")),
                            "feedback": (cd.get(f"choice_{i}_feedback") or "").strip(),
                        }
                    )
        passage = cd.get("passage")
        answers: list[str] | dict[str, list[str]] = []
        if kind == "short":
            answers = [a.strip() for a in (cd.get("answers") or "").splitlines() if a.strip()]
        elif kind == "cloze":
            answers = cd.get("alternatives") or []
        return {
            "uid": self.question.uid if self.question else "",
            "topic": cd["topic"].slug if cd.get("topic") else "",
            "kind": kind,
            "prompt": (cd.get("prompt") or "").strip(),
            "back": (cd.get("back") or "").strip() if kind == "flashcard" else "",
            "choices": choices,
            "answers": answers,
            "explanation": (cd.get("explanation") or "").strip(),
            "source": {"source": passage.source.slug, "passage": passage.key, "quote": (cd.get("quote") or "").strip()}
            if passage
            else {},
            "status": cd.get("status") or "draft",
            "tags": [t.strip() for t in (cd.get("tags") or "").split(",") if t.strip()],
            "safety_critical": bool(cd.get("safety_critical")),
        }

    def add_problems(self, problems) -> None:
        for problem in problems:
            if problem.field == "choices":
                self.choice_errors.append(problem.message)
            elif problem.field == "answers" and self.cleaned_data.get("kind") == "cloze":
                self.add_error("alternatives", problem.message)
            elif problem.field in self.fields:
                self.add_error(problem.field, problem.message)
            else:
                self.add_error(None, problem.message)


class ImportForm(forms.Form):
    FORMATS = [
        ("auto", "From the file name"),
        ("json", "quizapp JSON bank"),
        ("zip", "quizapp JSON bank with images (.zip)"),
        ("gift", "Moodle GIFT"),
        ("csv", "CSV"),
    ]
    upload = forms.FileField(label="Bank file (.json, .gift, .txt, .csv, or .zip with images)")
    format = forms.ChoiceField(choices=FORMATS, initial="auto")
    strict = forms.BooleanField(required=False, help_text="Refuse the file if any question would be skipped.")


class QuizForm(forms.Form):
    """A quiz's settings. Times are read in the instructor's own time zone (the request's
    active zone: cards.accounts.zones) and stored in UTC."""

    title = forms.CharField(max_length=200)
    topics = forms.ModelMultipleChoiceField(
        queryset=Topic.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Draw from these topics (none ticked: all), unless you pick questions.",
    )
    questions = forms.ModelMultipleChoiceField(
        queryset=Question.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Hand-picked questions",
        help_text="Optional: when you tick any, the quiz draws only from these.",
    )
    num_questions = forms.IntegerField(
        min_value=1,
        max_value=100,
        initial=10,
        label="Questions per attempt",
        help_text="Drawn at random from the pool.",
    )
    time_limit_minutes = forms.IntegerField(
        min_value=1, max_value=600, required=False, label="Time limit (minutes)", help_text="Empty: no time limit."
    )
    opens_at = forms.DateTimeField(required=False, label="Opens", widget=LOCAL_TIME)
    closes_at = forms.DateTimeField(required=False, label="Closes", widget=LOCAL_TIME)
    attempts_allowed = forms.IntegerField(
        min_value=0, max_value=50, initial=1, label="Attempts per student", help_text="0 means unlimited."
    )
    show_score = forms.ChoiceField(choices=Quiz.Reveal.choices, initial=Quiz.Reveal.AFTER_SUBMISSION)
    show_correct = forms.ChoiceField(
        choices=Quiz.Reveal.choices, initial=Quiz.Reveal.AFTER_SUBMISSION, label="Show correct answers"
    )
    show_explanations = forms.ChoiceField(choices=Quiz.Reveal.choices, initial=Quiz.Reveal.AFTER_SUBMISSION)

    def __init__(self, *args, course, quiz=None, **kwargs):
        if quiz is not None:
            kwargs.setdefault("initial", self.initial_of(quiz))
        super().__init__(*args, **kwargs)
        self.fields["questions"].queryset = (
            Question.objects.filter(deck__courses=course, status=Question.Status.PUBLISHED)
            .exclude(kind="flashcard")
            .select_related("topic")
            .order_by("topic__name", "uid")
        )
        self.fields["questions"].label_from_instance = lambda q: plain_line(cloze_back(q.prompt))
        zone = timezone.get_current_timezone_name()
        self.fields["opens_at"].help_text = f"In your time zone ({zone}). Empty: open now."
        self.fields["closes_at"].help_text = f"In your time zone ({zone}). Empty: never closes."

    @staticmethod
    def initial_of(quiz) -> dict:
        initial = {name: getattr(quiz, name) for name in Quiz.SETTINGS}
        for name in ("opens_at", "closes_at"):
            initial[name] = timezone.localtime(initial[name]) if initial[name] else None
        return {**initial, "topics": list(quiz.topics.all()), "questions": list(quiz.questions.all())}
