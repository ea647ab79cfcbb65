# The ETL Lambda's image: DuckDB and pyarrow pass the 250 MB limit of a zip.
# Built by `cdk deploy` from the source checkout (the context holds only the package).
FROM public.ecr.aws/lambda/python:3.14
COPY pyproject.toml README.md /build/
COPY clickstream /build/clickstream
RUN pip install --no-cache-dir /build && rm -rf /build
CMD ["clickstream.aws.etl_lambda.handler"]
