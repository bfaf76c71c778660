from django.urls import path

from cards.views import student

app_name = "cards"

urlpatterns = [
    path("study/", student.study_home, name="study_home"),
    path("courses/join/", student.join_course, name="join_course"),
    path("study/<int:course_id>/<int:deck_id>/", student.study_session, name="study_session"),
    path("study/<int:course_id>/<int:deck_id>/answer/", student.answer, name="study_answer"),
    path("study/<int:course_id>/<int:deck_id>/reviewed/<uuid:review_id>/", student.feedback, name="study_feedback"),
    path("study/<int:course_id>/<int:deck_id>/reveal/<int:card_id>/", student.reveal, name="study_reveal"),
    path("study/<int:course_id>/<int:deck_id>/rerate/", student.rerate, name="study_rerate"),
    path("study/<int:course_id>/<int:deck_id>/undo/", student.undo, name="study_undo"),
    path("study/<int:course_id>/<int:deck_id>/suspend/<int:card_id>/", student.suspend, name="study_suspend"),
]
