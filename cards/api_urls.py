from django.urls import path
from drf_spectacular.views import SpectacularAPIView

import cards.converters  # noqa: F401 - registers the <id:...> path converter
from cards.views import api

app_name = "api"

urlpatterns = [
    path("auth/token/", api.auth_token, name="auth_token"),
    path("auth/logout/", api.auth_logout, name="auth_logout"),
    path("auth/register/", api.auth_register, name="auth_register"),
    path("courses/", api.courses, name="courses"),
    path("courses/join/", api.courses_join, name="courses_join"),
    path("decks/", api.decks, name="decks"),
    path("study/next/", api.study_next, name="study_next"),
    path("study/answer/", api.study_answer, name="study_answer"),
    path("study/undo/", api.study_undo, name="study_undo"),
    path("stats/", api.stats, name="stats"),
    path("questions/", api.questions, name="questions"),
    path("questions/<id:question_id>/", api.question_detail, name="question_detail"),
    path("questions/<id:question_id>/publish/", api.question_publish, name="question_publish"),
    path("quizzes/", api.quizzes, name="quizzes"),
    path("quizzes/<id:quiz_id>/attempts/", api.quiz_attempts, name="quiz_attempts"),
    path("attempts/<id:attempt_id>/", api.attempt_detail, name="attempt_detail"),
    path("attempts/<id:attempt_id>/answer/", api.attempt_answer, name="attempt_answer"),
    path("attempts/<id:attempt_id>/submit/", api.attempt_submit, name="attempt_submit"),
    path("courses/<id:course_id>/item-analysis/", api.item_analysis, name="item_analysis"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
]
