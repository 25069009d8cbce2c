from zabota.channels.email import (
    admin_inbound,  # noqa: F401
    admin_mailbox,  # noqa: F401
)
