"""The Gradio UI's parts: rendering, events, the shared backend, feedback. app.py assembles them."""
