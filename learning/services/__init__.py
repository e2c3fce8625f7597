"""Writes for learning paths, one module per sub-domain; callers import the module they use
(`from learning.services import practice`), so a call site says where the code lives:

- concepts: the concept graph, and the concept file (export and import);
- practice: practice questions (checks, teacher edits) and a student's answers;
- evidence: graded submissions turned into observations (grading's `submission_scored`);
- mastery: BKT over the evidence, the first review, and the parameter fit (refits).
"""
