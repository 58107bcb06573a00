from django.conf import settings
from django.db import models


class IdempotencyKey(models.Model):
    """
    The first successful answer to a POST sent with an ``Idempotency-Key``, kept for a day so
    that a retry gets it again. In the database rather than the cache: every worker sees it,
    with or without Redis, and the unique constraint is what makes the claim atomic.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    #: SHA-256 of the client's key: the key itself is the client's and may be long.
    key_hash = models.CharField(max_length=64)
    #: SHA-256 of method, path and body: the same key with another request is refused.
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    body = models.JSONField(null=True)
    headers = models.JSONField(default=dict)
    created = models.DateTimeField(db_index=True)  # purging expired keys scans by age

    class Meta:
        constraints = [
            # Also the index of the lookup (user, key_hash).
            models.UniqueConstraint(fields=["user", "key_hash"], name="idempotency_key_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.key_hash[:12]}… ({self.status_code})"
