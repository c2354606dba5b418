"""The one exception type whose message is shown to users as a single line."""


class IacsieveError(Exception):
    """Bad input or configuration: the message names the file/line/field and the problem."""
