-- The typed input relation from lines: raw_files(file_no, source_file, hour_start, content)
-- split into numbered lines, each parsed against the event contract ($CONTRACT, filled in by
-- transform.py). Used when a batch cannot be read directly (bad lines, torn files, conflicts).

CREATE OR REPLACE TEMP VIEW raw_lines AS
SELECT file_no, source_file, hour_start, line_number::INTEGER AS line_number, line
FROM (
    -- unnest + generate_subscripts streams; a lateral WITH ORDINALITY join buffers whole files.
    SELECT file_no, source_file, hour_start, unnest(lines) AS line,
        generate_subscripts(lines, 1) AS line_number
    FROM (SELECT *, string_split(content, chr(10)) AS lines FROM raw_files)
)
WHERE length(line) > 8 OR trim(line) <> '';

-- The typed input relation: the event contract as columns, before any rule is applied.
CREATE OR REPLACE TEMP VIEW lake_records AS
-- JSON is parsed once: try() gives NULL for text that is not JSON, and a valid JSON text
-- whose first character is `{` is an object; the validity check runs on failures only.
SELECT file_no, source_file, hour_start, line_number, line,
       CASE WHEN r IS NULL THEN json_valid(line) ELSE true END AS is_json,
       r IS NOT NULL AND starts_with(ltrim(line), '{') AS is_object, r.*
FROM (
    SELECT *, try(json_transform(line, '$CONTRACT')) AS r
    FROM raw_lines
);

