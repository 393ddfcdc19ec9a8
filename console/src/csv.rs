//! Reading the CSV exports (RFC 4180): fields separated by commas, records by CRLF (a bare
//! LF is accepted too), a field in double quotes may hold commas, quotes (doubled) and line
//! breaks. The first record names the columns.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvError(pub String);

/// The records of `text`; a final line break ends the last record, it does not start one.
pub fn parse(text: &str) -> Result<Vec<Vec<String>>, CsvError> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    // Whether the current record has begun (a field or a separator was read).
    let mut started = false;
    while let Some(c) = chars.next() {
        match c {
            '"' if field.is_empty() => {
                started = true;
                read_quoted(&mut chars, &mut field, records.len() + 1)?;
                match chars.peek() {
                    None | Some(',' | '\r' | '\n') => {}
                    Some(_) => {
                        return Err(CsvError(format!(
                            "record {}: text after a closing quote",
                            records.len() + 1
                        )));
                    }
                }
            }
            '"' => {
                return Err(CsvError(format!(
                    "record {}: a quote inside an unquoted field",
                    records.len() + 1
                )));
            }
            ',' => {
                started = true;
                record.push(std::mem::take(&mut field));
            }
            '\r' | '\n' => {
                if c == '\r' && chars.peek() == Some(&'\n') {
                    chars.next();
                }
                if started || !field.is_empty() {
                    record.push(std::mem::take(&mut field));
                    records.push(std::mem::take(&mut record));
                }
                started = false;
            }
            _ => {
                started = true;
                field.push(c);
            }
        }
    }
    if started || !field.is_empty() {
        record.push(field);
        records.push(record);
    }
    Ok(records)
}

/// A quoted field's content, after its opening quote, through its closing one.
fn read_quoted(
    chars: &mut std::iter::Peekable<std::str::Chars<'_>>,
    field: &mut String,
    record: usize,
) -> Result<(), CsvError> {
    loop {
        match chars.next() {
            Some('"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            Some('"') => return Ok(()),
            Some(c) => field.push(c),
            None => {
                return Err(CsvError(format!(
                    "record {record}: a quote is never closed"
                )));
            }
        }
    }
}

/// An export: its header and its records, read by column name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    pub fn parse(text: &str) -> Result<Self, CsvError> {
        let mut records = parse(text)?.into_iter();
        let header = records
            .next()
            .ok_or_else(|| CsvError("the export has no header".into()))?;
        Ok(Self {
            header,
            rows: records.collect(),
        })
    }

    /// The index of the column `name`.
    pub fn column(&self, name: &str) -> Result<usize, CsvError> {
        self.header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| CsvError(format!("the export has no column {name}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(rows: &[&[&str]]) -> Vec<Vec<String>> {
        rows.iter()
            .map(|r| r.iter().map(|f| (*f).to_owned()).collect())
            .collect()
    }

    #[test]
    fn plain_records_split_on_commas_and_crlf() {
        assert_eq!(
            parse("a,b,c\r\n1,2,3\r\n").unwrap(),
            strings(&[&["a", "b", "c"], &["1", "2", "3"]])
        );
        assert_eq!(parse("").unwrap(), Vec::<Vec<String>>::new());
        assert_eq!(parse("a\nb").unwrap(), strings(&[&["a"], &["b"]]));
    }

    #[test]
    fn empty_fields_are_kept() {
        assert_eq!(
            parse(",x,\r\n,,\r\n").unwrap(),
            strings(&[&["", "x", ""], &["", "", ""]])
        );
        assert_eq!(parse("\"\"\r\n").unwrap(), strings(&[&[""]]));
    }

    #[test]
    fn quoted_fields_hold_commas_doubled_quotes_and_line_breaks() {
        let text =
            "id,note\r\ncs_1,\"a, b\"\r\ncs_2,\"she said \"\"hi\"\"\"\r\ncs_3,\"two\r\nlines\"\r\n";
        assert_eq!(
            parse(text).unwrap(),
            strings(&[
                &["id", "note"],
                &["cs_1", "a, b"],
                &["cs_2", "she said \"hi\""],
                &["cs_3", "two\r\nlines"],
            ])
        );
    }

    #[test]
    fn the_last_record_needs_no_line_break() {
        assert_eq!(
            parse("a,b\r\n1,\"2\"").unwrap(),
            strings(&[&["a", "b"], &["1", "2"]])
        );
    }

    #[test]
    fn broken_quoting_is_an_error_not_a_guess() {
        assert!(parse("a,\"open\r\n").is_err());
        assert!(parse("a,b\"c\r\n").is_err());
        assert!(parse("\"a\"b,c\r\n").is_err());
    }

    #[test]
    fn a_table_reads_columns_by_name() {
        let table = Table::parse("session,amount\r\ncs_1,5\r\n").unwrap();
        assert_eq!(table.column("amount"), Ok(1));
        assert!(table.column("nope").is_err());
        assert_eq!(table.rows, strings(&[&["cs_1", "5"]]));
        assert!(Table::parse("").is_err());
    }
}
