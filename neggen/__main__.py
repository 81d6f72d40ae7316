from neggen.cli import app

if __name__ == "__main__":  # vLLM worker processes re-import the main module
    app(prog_name="neggen")
