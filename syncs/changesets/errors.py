"""Why a change set cannot do what was asked, by type: interfaces choose their answer from the type
(the API's status and code), never by re-deriving the rule that refused."""


class ChangeSetError(Exception):
    """A change set cannot do what was asked; the message says why, for people."""

    code = "invalid_state"


class ChangeSetStateConflict(ChangeSetError):
    """Its status (or having no items) does not allow the action: pushing a reverted set, approving
    one that is not a draft, reverting one never pushed."""

    code = "invalid_state"


class ChangeSetNeedsApproval(ChangeSetStateConflict):
    """Four-eyes: a second manager must approve it before it is pushed."""

    code = "approval_required"


class ChangeSetNeedsOtherApprover(ChangeSetError):
    """Four-eyes: its author asked to approve it; someone else must."""

    code = "four_eyes"
