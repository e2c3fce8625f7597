"""Reads for learning paths; callers import the module they use:

- paths: a student's path (mastery, what next and why, reviews, progress) and the dashboard's
  per-course summary;
- classroom: a teacher's class view (heatmap, stuck students, hardest concepts);
- concepts: the concept slugs of a course, for grading's concept-catalogue hook.
"""
