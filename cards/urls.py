from django.urls import path

from cards.views import instructor, student

app_name = "cards"

urlpatterns = [
    # students
    path("study/", student.study_home, name="study_home"),
    path("courses/join/", student.join_course, name="join_course"),
    path("study/<int:course_id>/<int:deck_id>/", student.study_session, name="study_session"),
    path("study/<int:course_id>/<int:deck_id>/answer/", student.answer, name="study_answer"),
    path("study/<int:course_id>/<int:deck_id>/reviewed/<uuid:review_id>/", student.feedback, name="study_feedback"),
    path("study/<int:course_id>/<int:deck_id>/reveal/<int:card_id>/", student.reveal, name="study_reveal"),
    path("study/<int:course_id>/<int:deck_id>/rerate/", student.rerate, name="study_rerate"),
    path("study/<int:course_id>/<int:deck_id>/undo/", student.undo, name="study_undo"),
    path("study/<int:course_id>/<int:deck_id>/suspend/<int:card_id>/", student.suspend, name="study_suspend"),
    path("study/questions/<int:question_id>/report/", student.report_problem, name="report_problem"),
    # instructors
    path("teach/", instructor.teach_home, name="teach_home"),
    path("teach/courses/new/", instructor.course_new, name="course_new"),
    path("teach/courses/<int:course_id>/", instructor.course_detail, name="course_detail"),
    path("teach/courses/<int:course_id>/code/", instructor.course_code, name="course_code"),
    path("teach/courses/<int:course_id>/decks/", instructor.course_decks, name="course_decks"),
    path("teach/courses/<int:course_id>/instructors/", instructor.course_instructors, name="course_instructors"),
    path("teach/decks/new/", instructor.deck_new, name="deck_new"),
    path("teach/decks/<int:deck_id>/", instructor.deck_detail, name="deck_detail"),
    path("teach/decks/<int:deck_id>/coverage/", instructor.deck_coverage, name="deck_coverage"),
    path("teach/decks/<int:deck_id>/sources/new/", instructor.source_new, name="source_new"),
    path("teach/decks/<int:deck_id>/questions/new/", instructor.question_new, name="question_new"),
    path("teach/decks/<int:deck_id>/preview/", instructor.question_preview, name="question_preview"),
    path("teach/decks/<int:deck_id>/import/", instructor.deck_import, name="deck_import"),
    path("teach/decks/<int:deck_id>/import/confirm/", instructor.deck_import_confirm, name="deck_import_confirm"),
    path("teach/decks/<int:deck_id>/export/<str:fmt>/", instructor.deck_export, name="deck_export"),
    path("teach/sources/<int:source_id>/", instructor.source_detail, name="source_detail"),
    path("teach/questions/<int:question_id>/", instructor.question_edit, name="question_edit"),
    path("teach/questions/<int:question_id>/status/", instructor.question_status, name="question_status"),
    path("teach/questions/<int:question_id>/reviewed/", instructor.question_reviewed, name="question_reviewed"),
    path("teach/questions/<int:question_id>/history/", instructor.question_history, name="question_history"),
    path("teach/reports/", instructor.reports, name="reports"),
    path("teach/reports/<int:report_id>/", instructor.report_resolve, name="report_resolve"),
]
