"""``manage.py create_api_key USERNAME [--name N] [--tier T]``: print a new key (shown once)."""

from django.contrib.auth import get_user_model
from django.core.management import BaseCommand, CommandError

from mixer import services
from mixer.models import Tier


class Command(BaseCommand):
    help = "Create an API key for an existing user and print it (it is stored hashed)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="cli")
        parser.add_argument("--tier", choices=Tier.values, default=Tier.STANDARD)

    def handle(self, *args, username: str, name: str, tier: str, **options) -> None:
        try:
            owner = get_user_model().objects.get_by_natural_key(username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"no user {username!r}") from None
        _, raw = services.api_key_create(owner=owner, name=name, tier=tier)
        self.stdout.write(raw)
