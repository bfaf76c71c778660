from django.urls import path

import cards.converters  # noqa: F401 - registers the <id:...> path converter
from cards.views import accounts, analytics, dashboard, instructor, quizzes, student

app_name = "cards"

urlpatterns = [
    # students
    path("study/", student.study_home, name="study_home"),
    path("courses/join/", student.join_course, name="join_course"),
    path("study/<id:course_id>/<id:deck_id>/", student.study_session, name="study_session"),
    path("study/<id:course_id>/<id:deck_id>/answer/", student.answer, name="study_answer"),
    path("study/<id:course_id>/<id:deck_id>/reviewed/<uuid:review_id>/", student.feedback, name="study_feedback"),
    path("study/<id:course_id>/<id:deck_id>/reveal/<id:card_id>/", student.reveal, name="study_reveal"),
    path("study/<id:course_id>/<id:deck_id>/rerate/", student.rerate, name="study_rerate"),
    path("study/<id:course_id>/<id:deck_id>/undo/", student.undo, name="study_undo"),
    path("study/<id:course_id>/<id:deck_id>/suspend/<id:card_id>/", student.suspend, name="study_suspend"),
    path("study/questions/<id:question_id>/report/", student.report_problem, name="report_problem"),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("preferences/", accounts.preferences, name="preferences"),
    path("cards/<id:card_id>/unsuspend/", student.unsuspend, name="unsuspend"),
    path("quizzes/", quizzes.quiz_list, name="quiz_list"),
    path("quizzes/practice/", quizzes.practice_start, name="practice_start"),
    path("quizzes/<id:quiz_id>/start/", quizzes.quiz_start, name="quiz_start"),
    path("attempts/<id:attempt_id>/", quizzes.attempt_page, name="attempt"),
    path("attempts/<id:attempt_id>/answer/", quizzes.attempt_answer, name="attempt_answer"),
    path("attempts/<id:attempt_id>/submit/", quizzes.attempt_submit, name="attempt_submit"),
    path("attempts/<id:attempt_id>/result/", quizzes.attempt_result, name="attempt_result"),
    # instructors
    path("teach/", instructor.teach_home, name="teach_home"),
    path("teach/courses/new/", instructor.course_new, name="course_new"),
    path("teach/courses/<id:course_id>/", instructor.course_detail, name="course_detail"),
    path("teach/courses/<id:course_id>/code/", instructor.course_code, name="course_code"),
    path("teach/courses/<id:course_id>/decks/", instructor.course_decks, name="course_decks"),
    path("teach/courses/<id:course_id>/instructors/", instructor.course_instructors, name="course_instructors"),
    path("teach/courses/<id:course_id>/quizzes/new/", instructor.quiz_new, name="quiz_new"),
    path("teach/courses/<id:course_id>/analytics/", analytics.course_analytics, name="course_analytics"),
    path("teach/courses/<id:course_id>/analytics/items/<id:question_id>/", analytics.item_detail, name="item_detail"),
    path("teach/courses/<id:course_id>/analytics/items.csv", analytics.export_items, name="export_items"),
    path("teach/courses/<id:course_id>/analytics/students.csv", analytics.export_students, name="export_students"),
    path("teach/courses/<id:course_id>/analytics/attempts.csv", analytics.export_attempts, name="export_attempts"),
    path("teach/decks/new/", instructor.deck_new, name="deck_new"),
    path("teach/decks/<id:deck_id>/", instructor.deck_detail, name="deck_detail"),
    path("teach/decks/<id:deck_id>/coverage/", instructor.deck_coverage, name="deck_coverage"),
    path("teach/decks/<id:deck_id>/sources/new/", instructor.source_new, name="source_new"),
    path("teach/decks/<id:deck_id>/questions/new/", instructor.question_new, name="question_new"),
    path("teach/decks/<id:deck_id>/preview/", instructor.question_preview, name="question_preview"),
    path("teach/decks/<id:deck_id>/import/", instructor.deck_import, name="deck_import"),
    path("teach/decks/<id:deck_id>/import/confirm/", instructor.deck_import_confirm, name="deck_import_confirm"),
    path("teach/decks/<id:deck_id>/export/<str:fmt>/", instructor.deck_export, name="deck_export"),
    path("teach/sources/<id:source_id>/", instructor.source_detail, name="source_detail"),
    path("teach/questions/<id:question_id>/", instructor.question_edit, name="question_edit"),
    path("teach/questions/<id:question_id>/status/", instructor.question_status, name="question_status"),
    path("teach/questions/<id:question_id>/reviewed/", instructor.question_reviewed, name="question_reviewed"),
    path("teach/questions/<id:question_id>/history/", instructor.question_history, name="question_history"),
    path("teach/reports/", instructor.reports, name="reports"),
    path("teach/reports/<id:report_id>/", instructor.report_resolve, name="report_resolve"),
]
