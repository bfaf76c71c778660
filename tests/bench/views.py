"""The benchmark's reference view: one row by primary key, one tiny template. What a
Django view costs on this server with nothing else in it (the framework's limit)."""

from django.http import Http404
from django.shortcuts import render

from cards.models import Topic


def reference(request, pk: int):
    topic = Topic.objects.filter(pk=pk).only("name").first()
    if topic is None:
        raise Http404("no such row")
    return render(request, "bench_reference.html", {"name": topic.name})
