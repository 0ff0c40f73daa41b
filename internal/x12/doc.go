// Package x12 reads and writes ASC X12 5010 health care transactions:
//
//   - a tokenizer and envelope reader (Tokenize, ReadInterchanges) that take
//     the delimiters from each ISA and check SE/GE/IEA counts and control
//     numbers, reporting problems as *ParseError with segment and element
//     positions;
//   - Parse835 for 835 claim payment/advice (ERA) into Remittance, with
//     balancing checks (Remittance.Totals, ClaimPayment.CheckBalance);
//   - Parse999 for 999 (and 997) acknowledgments into Ack999;
//   - Parse277 for 277CA claim acknowledgments (005010X214) and 277 claim
//     status responses (005010X212) into ClaimStatusReport;
//   - Write837 and Parse837 for 837P professional claims (005010X222A1)
//     modelled by Batch837 and Claim837;
//   - ParseAny, which picks the parser from ST01.
//
// Money is decimal.Decimal (JSON strings), dates are Date (JSON
// "2006-01-02"), and every output structure has snake_case JSON tags.
package x12
