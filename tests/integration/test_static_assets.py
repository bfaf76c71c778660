"""Every static file the pages link to is found (and served): a missing one means an
unstyled site without htmx."""

import re

from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse


def test_every_linked_static_file_exists(student_client, course, deck):
    html = student_client.get(reverse("cards:study_session", args=[course.pk, deck.pk])).content.decode()
    assets = re.findall(r'(?:src|href)="/static/([^"]+)"', html)
    assert {"css/site.css", "vendor/htmx.min.js", "cards/study.js"} <= set(assets)
    for asset in assets:
        assert finders.find(asset), f"static file {asset} is not found"


def test_static_files_are_served(db):
    response = Client().get("/static/css/site.css")
    assert response.status_code == 200
    assert b"--accent" in b"".join(response.streaming_content)
