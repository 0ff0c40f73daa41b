package clearinghouse

import (
	"strings"

	"github.com/clinicflow/rcm/internal/x12"
)

// loop837 is the X222A1 loop identifier (IK303) of the segment at position
// pos (as Tokenize numbers them) of the transaction set that starts at
// stPos: "" for a segment outside any loop (ST, BHT, SE).
func loop837(segs []x12.Segment, stPos, pos int) string {
	level, loop := "", ""
	for _, seg := range segs {
		if seg.Position < stPos {
			continue
		}
		if seg.Position > pos {
			break
		}
		switch seg.ID {
		case "ST", "BHT", "SE":
			loop = ""
		case "HL":
			level = map[string]string{"20": "2000A", "22": "2000B", "23": "2000C"}[seg.El(3)]
			loop = level
		case "CLM":
			level, loop = "2300", "2300"
		case "SBR":
			if level == "2300" || level == "2320" {
				level, loop = "2320", "2320"
			}
		case "LX":
			level, loop = "2400", "2400"
		case "LIN":
			loop = "2410"
		case "SVD":
			level, loop = "2430", "2430"
		case "NM1":
			if l := nm1Loop(level, seg.El(1)); l != "" {
				loop = l
			}
		}
	}
	return loop
}

// nm1Loop is the loop an NM1 with entity code code starts under level.
func nm1Loop(level, code string) string {
	switch level {
	case "":
		return map[string]string{"41": "1000A", "40": "1000B"}[code]
	case "2000A":
		return map[string]string{"85": "2010AA", "87": "2010AB", "PE": "2010AC"}[code]
	case "2000B":
		return map[string]string{"IL": "2010BA", "PR": "2010BB"}[code]
	case "2000C":
		return map[string]string{"QC": "2010CA"}[code]
	case "2300":
		return map[string]string{"DN": "2310A", "P3": "2310A", "82": "2310B", "77": "2310C", "DQ": "2310D", "PW": "2310E", "45": "2310F"}[code]
	case "2320":
		return map[string]string{"IL": "2330A", "PR": "2330B", "DN": "2330C", "P3": "2330C", "82": "2330D", "77": "2330E", "DQ": "2330F", "85": "2330G"}[code]
	case "2400":
		return map[string]string{"82": "2420A", "QB": "2420B", "77": "2420C", "DQ": "2420D", "DK": "2420E", "DN": "2420F", "P3": "2420F", "PW": "2420G", "45": "2420H"}[code]
	}
	return ""
}

// elementRefs are the X12 data element reference numbers (IK402) of the
// 837P segments' elements, by segment ID and position (index 0 is element 1;
// "" for a composite or an unused position).
var elementRefs = map[string][]string{
	"BHT": {"1005", "353", "127", "373", "337", "640"},
	"HL":  {"628", "734", "735", "736"},
	"PRV": {"1221", "128", "127"},
	"NM1": {"98", "1065", "1035", "1036", "1037", "1038", "1039", "66", "67", "706", "98", "1035"},
	"N3":  {"166", "166"},
	"N4":  {"19", "156", "116", "26", "309", "310", "1715"},
	"REF": {"128", "127", "352"},
	"PER": {"366", "93", "365", "364", "365", "364", "365", "364", "443"},
	"SBR": {"1138", "1069", "127", "93", "1336", "1143", "1073", "584", "1032"},
	"PAT": {"1069", "1384", "584", "1220", "1250", "1251", "355", "81", "1073"},
	"DMG": {"1250", "1251", "1068"},
	"CLM": {"1028", "782", "", "", "", "1073", "1359", "1363", "1363", "1351", "", "1366", "1338", "1360", "1029", "1383", "1514", "1352", "1325", "1514"},
	"DTP": {"374", "1250", "1251"},
	"AMT": {"522", "782", "478"},
	"HI":  {"", "", "", "", "", "", "", "", "", "", "", ""},
	"LX":  {"554"},
	"SV1": {"", "782", "355", "380", "1331", "1365", "", "1073", "1073", "1340", "1073", "1073", "1327", "1334", "1337", "1360", "1337", "1337", "1073", "1073", "1337"},
	"CAS": {"1033", "1034", "782", "380", "1034", "782", "380", "1034", "782", "380", "1034", "782", "380", "1034", "782", "380", "1034", "782", "380"},
	"OI":  {"1032", "1383", "1073", "1351", "1360", "1363"},
	"SVD": {"67", "782", "", "234", "380", "554"},
	"LIN": {"350", "235", "234"},
	"CTP": {"", "", "", "380", ""},
	"ST":  {"143", "329", "1705"},
	"SE":  {"96", "329"},
}

// elementRef is IK402 for element n of segment id ("" when unknown).
func elementRef(id string, n int) string {
	refs := elementRefs[id]
	if n < 1 || n > len(refs) {
		return ""
	}
	return refs[n-1]
}

// elementErrorCode is IK403 for a parse error message: 1 mandatory element
// missing, 8 invalid date, 9 invalid time, 6 invalid character (a number or
// amount that is not one), 7 invalid code value otherwise.
func elementErrorCode(msg string) string {
	msg = strings.ToLower(msg)
	switch {
	case strings.Contains(msg, "missing"):
		return "1"
	case strings.Contains(msg, "date"):
		return "8"
	case strings.Contains(msg, "time"):
		return "9"
	case strings.Contains(msg, "amount"), strings.Contains(msg, "number"), strings.Contains(msg, "pointer"):
		return "6"
	}
	return "7"
}
