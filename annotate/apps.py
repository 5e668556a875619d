from django.apps import AppConfig


class AnnotateConfig(AppConfig):
    name = "annotate"
    verbose_name = "Annotation"

    def ready(self) -> None:
        from annotate.models import Claim, Source
        from common import conflicts

        # How the API's 409 answers (config/api_errors.py) show a claim or a source. By
        # path: the serializers (and DRF) are imported when a conflict is first shown, not
        # in every process (``manage.py export`` never shows one; tests/test_startup.py).
        conflicts.represent(
            Claim, "annotate.claims.serializers.ClaimSerializer", url="api:claim-detail"
        )
        conflicts.represent(Source, "annotate.sources.serializers.SourceSerializer")
