"""`python -m services.quiz` serves the quiz service."""

from services.quiz.app import create_app
from services.quiz.settings import QuizSettings
from shared.service import serve

if __name__ == "__main__":
    settings = QuizSettings()
    serve(lambda: create_app(settings), settings)
