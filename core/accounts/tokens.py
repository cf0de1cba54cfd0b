"""The one-use link that resets a forgotten password: valid for `PASSWORD_RESET_LINK_MINUTES` (an invitation's
link, `default_token_generator`, stays valid for `PASSWORD_RESET_TIMEOUT`, days). One use: the token signs the
password's hash and the last sign-in, so it stops working once the password is set."""

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.utils.http import base36_to_int


class ShortLivedTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "stationnet.accounts.password_reset"

    def check_token(self, user, token):
        if not super().check_token(user, token):
            return False
        try:
            timestamp = base36_to_int(token.split("-")[0])
        except ValueError:
            return False
        return self._num_seconds(self._now()) - timestamp <= settings.PASSWORD_RESET_LINK_MINUTES * 60


password_reset_token = ShortLivedTokenGenerator()
