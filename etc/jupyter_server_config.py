# JupyterLab's config for `make lab` (copied into JUPYTER_CONFIG_DIR): every save of a notebook goes through
# nbdev's cleaner first, so a save from JupyterLab leaves a tracked notebook as `nbdev-clean` would (no kernelspec
# or language_info rewrite, no execution counts), and the checkout stays clean.


def nbdev_clean_jupyter(**kwargs):
    try: from nbdev.clean import clean_jupyter
    except ModuleNotFoundError: return
    clean_jupyter(**kwargs)


c.ContentsManager.pre_save_hook = nbdev_clean_jupyter  # noqa: F821 (`c` is the config object Jupyter provides)
