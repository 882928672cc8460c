# The Rasa NLU server (Python 3.10, Rasa 3.6) with the project's custom components; the model is mounted.
FROM python:3.10-slim
WORKDIR /app/nlu
COPY nlu/requirements.txt .
RUN pip install --no-cache-dir "pip<24" && pip install --no-cache-dir -r requirements.txt
COPY nlu/ .
RUN useradd --system --home /app chania && chown -R chania /app
USER chania
EXPOSE 5005
