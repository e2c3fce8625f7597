"""Every prompt the platform sends to the model, one pure function per purpose.

blocks      the one escaper (`neutralise`) and the numbered <context> block of passages
rag         answering a question from course material (the search/ask API)
tutor       the tutor's explain, hint and quiz turns
playground  the playground's help: explain, why does it fail, how to improve
grading     feedback on failed tests, and scoring one rubric criterion of a text answer
drafting    drafting a practice question from a lesson

Pure: same input, same prompt, so tests read exactly what the model gets. Anything a student,
teacher or document wrote goes inside a delimited block and through `blocks.neutralise`, so it
stays data and can never close its block and speak as the system.
"""
