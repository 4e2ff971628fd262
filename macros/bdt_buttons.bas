Attribute VB_Name = "bdt_buttons"
' The buttons of the bdt budget-disclosure template (workbook_template.xlsm).
'
' Each form button on the sheet 基本信息 calls one of these Subs. A button can only call a
' macro without arguments, so there is one Sub per button; each hands the work to Python
' through xlwings' RunPython (the xlwings VBA module is part of this VBA project, so no add-in
' is needed). The Python side is toolkit/excel.py, which reads the calling workbook with
' xlwings.Book.caller().
'
' Source of truth: macros/bdt_buttons.bas in the bdt repository. `bdt template build` copies it
' into the workbook's VBA project unchanged; edit it there, not in the VBA editor.
Option Explicit

' 校验: check the figures and list the findings.
Public Sub BdtValidate()
    Application.StatusBar = "bdt：正在校验……"
    RunPython "import toolkit.excel as x; x.validate()"
    Application.StatusBar = False
End Sub

' 填充: write the derived cells and the standard paragraphs.
Public Sub BdtFill()
    Application.StatusBar = "bdt：正在填充……"
    RunPython "import toolkit.excel as x; x.fill()"
    Application.StatusBar = False
End Sub

' 导出: write the finished disclosure documents.
Public Sub BdtExport()
    Application.StatusBar = "bdt：正在导出……"
    RunPython "import toolkit.excel as x; x.export()"
    Application.StatusBar = False
End Sub
