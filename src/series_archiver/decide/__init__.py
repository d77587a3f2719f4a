"""The decisions: pure functions of values, no I/O.

- ``versions``: is this capture a new version of its article;
- ``align``: keep the previous rendering where the content did not change;
- ``timeline``: where an older capture goes in an article's history;
- ``dedupe``: is this page another rendering of an archived article;
- ``diff``: what changed between two versions (the computation, and its stored HTML);
- ``witness``: what to ask Save Page Now for, and when.
"""
