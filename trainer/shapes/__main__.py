from trainer.shapes.cli import app

app()
