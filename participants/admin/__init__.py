"""The staff pages of participants, one module per topic:

- ``people``: accounts and participants (their history, ledger, decisions with a reason);
- ``waves`` and ``selection``: waves, their stages, the selection preview and run;
- ``blacklist``, ``corrections``, ``eligibility``: the blacklist, profile corrections, and the
  exclusion lists with their exceptions and reviews;
- ``regions``: the region reference data (the autocomplete);
- ``staff_otp``: the staff second factor's pages;
- ``base``: what they share (read-only records, decisions with a reason, NIK search, and the
  personal-data policy ``prakerja.admin_site`` gives every model admin).

``ParticipantsConfig.ready`` imports the topic modules, which register their model admins. This
package itself imports none of them: the admin site imports ``base`` while it is being built,
before anything can be registered on it.
"""
