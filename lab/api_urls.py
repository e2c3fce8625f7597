from django.urls import path

from lab import api

urlpatterns = [
    path("lab/tokenizer/", api.LabTokenizerApi.as_view(), name="api-lab-tokenizer"),
    path("lab/next-token/", api.LabNextTokenApi.as_view(), name="api-lab-next-token"),
    path("lab/sample/", api.LabSampleApi.as_view(), name="api-lab-sample"),
    path("lab/attention/", api.LabAttentionApi.as_view(), name="api-lab-attention"),
    path("lab/embeddings/", api.LabEmbeddingsApi.as_view(), name="api-lab-embeddings"),
    path("lab/speed/", api.LabSpeedApi.as_view(), name="api-lab-speed"),
    path("lab/exercise/", api.LabExerciseApi.as_view(), name="api-lab-exercise"),
]
