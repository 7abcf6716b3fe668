# nbgrader settings for students' "Validate" (JupyterLab's button and `nbgrader validate`), read
# from the course root. Exercise and check cells carry the `skip-execution` tag so that the website
# build skips them; nbgrader's executor skips cells with that tag too by default, which would make
# Validate report success without running a single check. Validate must run them.
c = get_config()  # noqa: F821
c.Execute.skip_cells_with_tag = "nbgrader-never-skip"
