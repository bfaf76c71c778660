from django.urls import path
from drf_spectacular.views import SpectacularAPIView

import cards.converters  # noqa: F401 - registers the <id:...> path converter
from cards.api import auth, bank_files, courses, decks, media, questions, quizzes, sources, study, taught_courses

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
    path("questions/<id:question_id>/reviewed/", questions.question_reviewed, name="question_reviewed"),
    path("teach/courses/", taught_courses.teach_courses, name="teach_courses"),
    path("teach/courses/<id:course_id>/", taught_courses.teach_course_detail, name="teach_course_detail"),
    path("teach/courses/<id:course_id>/code/", taught_courses.teach_course_code, name="teach_course_code"),
    path("teach/courses/<id:course_id>/decks/", taught_courses.teach_course_decks, name="teach_course_decks"),
    path(
        "teach/courses/<id:course_id>/instructors/",
        taught_courses.teach_course_instructors,
        name="teach_course_instructors",
    ),
    path("teach/decks/", decks.teach_decks, name="teach_decks"),
    path("teach/decks/<id:deck_id>/", decks.teach_deck_detail, name="teach_deck_detail"),
    path("teach/decks/<id:deck_id>/imports/", bank_files.teach_deck_import, name="teach_deck_import"),
    path("teach/decks/<id:deck_id>/export/<str:fmt>/", bank_files.teach_deck_export, name="teach_deck_export"),
    path("teach/imports/<uuid:import_id>/confirm/", bank_files.teach_import_confirm, name="teach_import_confirm"),
    path("teach/images/", media.teach_images, name="teach_images"),
    path("teach/topics/", decks.teach_topics, name="teach_topics"),
    path("teach/sources/", sources.teach_sources, name="teach_sources"),
    path("teach/sources/<id:source_id>/", sources.teach_source_detail, name="teach_source_detail"),
    path("teach/sources/<id:source_id>/passages/", sources.teach_source_passages, name="teach_source_passages"),
    path("quizzes/", quizzes.quizzes, name="quizzes"),
    path("quizzes/<id:quiz_id>/attempts/", quizzes.quiz_attempts, name="quiz_attempts"),
    path("attempts/<id:attempt_id>/", quizzes.attempt_detail, name="attempt_detail"),
    path("attempts/<id:attempt_id>/answer/", quizzes.attempt_answer, name="attempt_answer"),
    path("attempts/<id:attempt_id>/submit/", quizzes.attempt_submit, name="attempt_submit"),
    path("courses/<id:course_id>/item-analysis/", quizzes.item_analysis, name="item_analysis"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
]
