import factory

from tenants.models import User

PASSWORD = "Test-pass-2026"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"测试用户{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.test")
    password = factory.django.Password(PASSWORD)


def approved_round(station, admin):
    """Take `station` through an approved evaluation round (every item met) with the real services, so that
    `station_publish` accepts it: the head's self-assessment, the submission, the review and the approval."""
    from core.evaluation.demo import round_approve_all

    return round_approve_all(station=station, admin=admin)
