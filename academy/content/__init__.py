"""The content engine: course and quiz Markdown files in, checked documents out.

Pure functions only (no Flask, no database) so the same code serves
`flask academy check`, the importer and the browser editor:

- `model`    frozen dataclasses for parsed documents, `Problem`, the normal form
             and the content hash;
- `parse`    reads one file (or one course folder) into those documents and
             reports every problem it can see there;
- `validate` walks `courses/` and `quizzes/` and adds the rules that span files;
- `render`   Markdown to sanitised HTML;
- `hours`    CE hours.

The file format is defined in docs/authoring.md.
"""
