"""Who may receive public money beyond what a person declares: the state's lists (exclusions and
the laid-off workers' priority), imported by staff and applied at selection and after it, the
staff review of a person flagged after selection, and the exceptions that answer a complaint
(docs/eligibility.md). The civil-registry check of the identity is
``participants.registration.registry`` and ``participants.services.registry_checks``.
"""
