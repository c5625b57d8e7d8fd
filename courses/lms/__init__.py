"""Reading quiz results from a learning management system (Canvas first).

- `safety`: which LMS addresses may be stored and called (https, public hosts only).
- `client`: the Canvas REST client (timeouts, Link-header pagination, retries).
- `grading`: what counts as a wrong answer, by question type.
- `sync`: one course's quizzes, questions and wrong answers into the database."""
