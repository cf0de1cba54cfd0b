"""API of the station desk (clause 5.2), one module per part of the desk:

- `demands`: demands (Appendix A) and their tables;
- `cases`: service cases, listed by view or assignee among others, their transitions and timeline events;
- `plans`: service plans;
- `records`: service records (Appendix B) and their amendments;
- `surveys`: the satisfaction survey keyed in from the signed paper form;
- `serializers`: what several of them share (input checking, the case as its detail answers it).

Serializers check types only; every business rule is the services' (`core.desk.services`), whose refusals come back
as 400 keyed by field. Table rows are keyed `table.position.field`, positions counted from 1 like the form's "no."
column, both for type errors found here and for the services' own checks.
"""
