from django.contrib import admin

from cards.models import (
    Card,
    Choice,
    Course,
    Deck,
    Enrollment,
    Passage,
    Question,
    ReviewLog,
    SchedulerParameters,
    Source,
    Topic,
)


class ChoiceInline(admin.TabularInline):
    model = Choice
    extra = 0


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ("uid", "deck", "kind", "topic", "status", "revision")
    list_filter = ("deck", "kind", "topic", "status")
    search_fields = ("uid", "prompt")
    inlines = [ChoiceInline]


@admin.register(ReviewLog)
class ReviewLogAdmin(admin.ModelAdmin):
    list_display = ("user", "card", "kind", "rating", "correct", "self_graded", "reviewed_at")
    list_filter = ("kind", "rating", "correct")

    @admin.display(boolean=True, description="I was right")
    def self_graded(self, obj) -> bool:
        return obj.overrides_id is not None

    def has_change_permission(self, request, obj=None):
        return False  # the log is append-only

    def has_delete_permission(self, request, obj=None):
        return False


admin.site.register([Source, Passage, Topic, Deck, Course, Enrollment, Card])


@admin.register(SchedulerParameters)
class SchedulerParametersAdmin(admin.ModelAdmin):
    list_display = ("course", "enrollment", "source", "n_reviews", "log_loss", "rmse_bins", "fitted_at", "checked_at")
    list_filter = ("source",)
    readonly_fields = (
        "parameters",
        "parameter_set",
        "fitted_at",
        "checked_at",
        "n_reviews",
        "log_loss",
        "rmse_bins",
        "source",
    )
