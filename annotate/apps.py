from django.apps import AppConfig


class AnnotateConfig(AppConfig):
    name = "annotate"
    verbose_name = "Annotation"

    def ready(self) -> None:
        from annotate.claims.serializers import ClaimSerializer
        from annotate.models import Claim, Source
        from annotate.sources.serializers import SourceSerializer
        from common import conflicts

        # How the API's 409 answers (config/api_errors.py) show a claim or a source.
        conflicts.represent(Claim, ClaimSerializer, url="api:claim-detail")
        conflicts.represent(Source, SourceSerializer)
