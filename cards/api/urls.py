from django.urls import path
from drf_spectacular.views import SpectacularAPIView

import cards.converters  # noqa: F401 - registers the <id:...> path converter
from cards.api import auth, blocks, courses, notes, questions, quizzes, study

app_name = "api"

urlpatterns = [
    path("auth/token/", auth.auth_token, name="auth_token"),
    path("auth/logout/", auth.auth_logout, name="auth_logout"),
    path("auth/register/", auth.auth_register, name="auth_register"),
    path("courses/", courses.courses, name="courses"),
    path("courses/join/", courses.courses_join, name="courses_join"),
    path("decks/", courses.decks, name="decks"),
    path("study/next/", study.study_next, name="study_next"),
    path("study/answer/", study.study_answer, name="study_answer"),
    path("study/undo/", study.study_undo, name="study_undo"),
    path("stats/", study.stats, name="stats"),
    path("questions/", questions.questions, name="questions"),
    path("questions/<id:question_id>/", questions.question_detail, name="question_detail"),
    path("questions/<id:question_id>/publish/", questions.question_publish, name="question_publish"),
    path("quizzes/", quizzes.quizzes, name="quizzes"),
    path("quizzes/<id:quiz_id>/attempts/", quizzes.quiz_attempts, name="quiz_attempts"),
    path("attempts/<id:attempt_id>/", quizzes.attempt_detail, name="attempt_detail"),
    path("attempts/<id:attempt_id>/answer/", quizzes.attempt_answer, name="attempt_answer"),
    path("attempts/<id:attempt_id>/submit/", quizzes.attempt_submit, name="attempt_submit"),
    path("courses/<id:course_id>/item-analysis/", quizzes.item_analysis, name="item_analysis"),
    path("blocks/", blocks.blocks, name="blocks"),
    path("blocks/pools/", blocks.block_pools, name="block_pools"),
    path("blocks/<id:block_id>/", blocks.block_detail, name="block_detail"),
    path("blocks/<id:block_id>/answer/", blocks.block_answer, name="block_answer"),
    path("blocks/<id:block_id>/submit/", blocks.block_submit, name="block_submit"),
    path("notes/", notes.notes, name="notes"),
    path("notes/<id:note_id>/", notes.note_detail, name="note_detail"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
]
