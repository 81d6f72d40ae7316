from neggen.cli import app

app(prog_name="neggen")
