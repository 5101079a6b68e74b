"""Personal data: policies and what they do to a row, the classes of personal data,
the checks of a policy's names, erasure of a data subject and its register. Uses
`warehouse` and `spec`."""
