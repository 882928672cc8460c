# The bot service (Python 3.11). Rasa runs in its own image (rasa.Dockerfile).
FROM python:3.11-slim
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY bot.py ./
COPY bot ./bot
COPY handlers ./handlers
COPY data ./data
COPY nlu/__init__.py nlu/chania_text.py ./nlu/
RUN useradd --system --home /app chania && chown -R chania /app
USER chania
EXPOSE 8080
CMD ["python", "bot.py", "run"]
