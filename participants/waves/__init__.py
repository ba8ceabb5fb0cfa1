"""Waves and the selection, one module a part:

- ``schedule``: the rules of a wave's dates, and the waves breaking the late-wave rule;
- ``joining``: joining a wave ("Gabung");
- ``selection``: the selection of a closed wave (its preview, its run at the announcement time);
- ``labels``: how a participant's place in the program and a wave's stage are labelled.

The announcement a selection sends is ``participants.notices.decisions``.
"""
