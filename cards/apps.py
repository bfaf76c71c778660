from django.apps import AppConfig


class CardsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "cards"
    verbose_name = "Quizzes and flashcards"

    def ready(self):
        from django.conf import settings

        from cards.accounts import signals
        from cards.core.images import STORAGE_FOLDER
        from cards.core.rendering import set_image_url_prefix

        signals.connect()
        set_image_url_prefix(f"{settings.MEDIA_URL.rstrip('/')}/{STORAGE_FOLDER}/")
