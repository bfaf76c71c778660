"""The layout's Teach link follows the user's role, and a role change shows at once even
though the link is remembered (cards.permissions.shows_teach_link); the templates' `link()`
gives what `{% url %}` gives."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.template import Context, Template, engines
from django.urls import reverse, set_script_prefix

from cards.services.accounts import make_instructor, setup_roles
from tests.factories import UserFactory

TEACH = f'<a href="{reverse("cards:teach_home")}">Teach</a>'


def page(client):
    return client.get(reverse("cards:study_home")).content.decode()


def test_students_see_no_teach_link_and_instructors_do(client, student, instructor):
    client.force_login(student)
    assert TEACH not in page(client)
    client.force_login(instructor)
    assert TEACH in page(client)


def test_joining_and_leaving_the_instructors_shows_at_once(client, student):
    client.force_login(student)
    assert TEACH not in page(client)  # remembered: not an instructor
    make_instructor(student)
    assert TEACH in page(client)
    student.groups.clear()
    assert TEACH not in page(client)
    group = setup_roles()
    group.user_set.add(student)  # from the group's side
    assert TEACH in page(client)


def test_a_group_losing_the_permission_hides_the_link_from_its_members(client, student):
    make_instructor(student)
    client.force_login(student)
    assert TEACH in page(client)
    group = setup_roles()
    permission = Permission.objects.get(codename="author_content")
    group.permissions.remove(permission)
    assert TEACH not in page(client)
    permission.group_set.add(group)  # from the permission's side
    assert TEACH in page(client)


def test_a_direct_permission_and_superuser_status_show_the_link(client, db):
    user = UserFactory(username="direct")
    client.force_login(user)
    assert TEACH not in page(client)
    user.user_permissions.add(Permission.objects.get(codename="author_content"))
    assert TEACH in page(client)
    user.user_permissions.clear()
    assert TEACH not in page(client)
    user.is_superuser = True
    user.save()
    assert TEACH in page(client)
    assert not Group.objects.filter(user=user).exists()


@pytest.mark.parametrize(
    ("name", "args"), [("cards:study_home", ()), ("cards:study_session", (3, 7)), ("cards:study_reveal", (3, 7, 11))]
)
def test_link_gives_what_url_gives_under_any_script_prefix(name, args):
    names = [f"a{i}" for i in range(len(args))]
    link = engines["jinja2"].from_string("{{ link(" + ", ".join(["name", *names]) + ") }}")
    url = Template("{% url name " + " ".join(names) + " %}")
    values = {"name": name, **dict(zip(names, args, strict=True))}
    for prefix in ("/", "/quiz/"):
        set_script_prefix(prefix)
        try:
            assert link.render(values) == url.render(Context(values))
            assert link.render(values).startswith(prefix)
        finally:
            set_script_prefix("/")
