"""What a held meeting leaves behind: agenda, attendance, minutes, decisions, the DOCX
protocol."""
