"""Videos for the questions students got wrong.

- `text`: tokenising, stop words and a light stemmer shared by the lexical parts.
- `topic`: a question's core topic (locally, or by an OpenAI-compatible endpoint).
- `rankers`: the Ranker interface, the lexical (BM25) and semantic (MiniLM) rankers.
- `search`: YouTube search for the places course videos do not fill, cached for days.
- `services` / `selectors`: refreshing, pinning and reading the stored recommendations.

Questions are read through `courses.selectors`; nothing here imports `courses.models`."""
