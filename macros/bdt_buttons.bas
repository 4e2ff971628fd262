Attribute VB_Name = "bdt_buttons"
' The buttons of the bdt budget-disclosure template (workbook_template.xlsm).
'
' Each form button (on every sheet the clerk works on) calls one of these Subs. A button can only
' call a macro without arguments, so there is one Sub per button; each hands the work to Python
' through xlwings' RunPython (the xlwings VBA module is part of this VBA project, so no add-in
' is needed). The Python side is toolkit/excel.py, which reads the calling workbook with
' xlwings.Book.caller() and itself lifts and restores the protection of the sheets it writes.
'
' What can go wrong before Python runs (no Python, no bdt, no xlwings or another version, a wrong
' interpreter path, an IT policy that stops Office from starting programs, macOS without
' `xlwings runpython install`) ends in one Chinese message box saying what to do and where
' docs/excel.md explains it: BdtReady checks once per Excel session (on Windows by starting
' Python once with BDT_PROBE), and every Sub has an error handler, so the clerk never sees the
' VBA debugger. Messages are kept short: a MsgBox shows at most 1024 characters.
'
' Source of truth: macros/bdt_buttons.bas in the bdt repository. `bdt template build` copies it
' into the workbook's VBA project unchanged; edit it there, not in the VBA editor.
Option Explicit

Private Const BDT_TITLE As String = "预算公开工具"
Private Const DOC_INSTALL As String = "docs/excel.md 第一节「安装」"
Private Const DOC_INTERPRETER As String = "docs/excel.md 第一节「Python 不在默认位置时」"
Private Const DOC_BLOCKED As String = "docs/excel.md 第五节「宏被阻止时怎么办」"
Private Const DOC_HINTS As String = "docs/excel.md 第六节「常见提示」"
Private Const DOC_SERVER As String = "docs/excel.md 第一节「让以后的点击更快」"

' One message per failure path (the tests read these lines).
Private Const MSG_NO_PYTHON As String = "找不到 Python：这台电脑没有安装 Python，或安装时没有勾选“Add python.exe to PATH”。请安装 Python 3.10 或更新版本后重新打开 Excel。"
Private Const MSG_BAD_INTERPRETER As String = "xlwings 设置中的 Python 路径不存在：请改正 xlwings.conf 中 INTERPRETER_WIN / INTERPRETER_MAC 的值，或删除该设置以使用 PATH 中的 python。路径："
Private Const MSG_NO_BDT As String = "已找到 Python，但没有安装本工具（bdt）：请在命令提示符中运行 pip install bdt-budget-disclosure，然后重新点击按钮。"
Private Const MSG_NO_XLWINGS As String = "已找到 Python，但没有安装 xlwings：请在命令提示符中运行 pip install bdt-budget-disclosure（会一并安装合适版本的 xlwings），然后重新点击按钮。"
Private Const MSG_XLWINGS_VERSION As String = "xlwings 版本不符：本工作簿的按钮需要与本工具配套的 xlwings 版本。请运行 pip install --upgrade bdt-budget-disclosure，或向财政局索取与已装版本配套的新版模板。"
Private Const MSG_BLOCKED As String = "Excel 不能启动 Python：本机的安全策略（如 Microsoft Defender“阻止所有 Office 应用程序创建子进程”规则）拦截了按钮。请信息化管理员为 Python 添加例外，或改用 xlwings Lite、bdt serve 或命令行。"
Private Const MSG_MAC_RUNPYTHON As String = "macOS 上还没有安装 xlwings 的启动脚本：请在“终端”中运行一次 xlwings runpython install，然后重新打开 Excel。"
Private Const MSG_SERVER_VERSION As String = "已打开“常驻 Python”（xlwings.conf 中的 USE UDF SERVER），它只能使用与本模板中 xlwings 模块同一版本的 xlwings，而本机装的是另一版本。请删除该设置行（按钮照常可用，每次启动 Python），或运行 pip install xlwings==版本号 安装模板所需的版本："
Private Const MSG_UNEXPECTED As String = "按钮运行出错，本次操作未完成。请点「检查环境」核对安装；仍不能解决时把本提示截图发给财政局。错误信息："

' Started once with the interpreter xlwings will use: each marker line tells how far Python got.
Private Const BDT_PROBE As String = "import sys;print('BDT-PYTHON',sys.version.split()[0]);import xlwings;print('BDT-XLWINGS',xlwings.__version__);import toolkit.doctor as d;print('BDT-BDT',d.bdt_version());print('BDT-SUPPORTED',int(d.xlwings_supported(xlwings.__version__)))"

Private Ready As Boolean

' 校验: check the figures and list the findings.
Public Sub BdtValidate()
    On Error GoTo Failed
    If Not BdtReady() Then Exit Sub
    Application.StatusBar = "bdt：正在校验……"
    RunPython "import toolkit.excel as x; x.validate()"
    Application.StatusBar = False
    Exit Sub
Failed:
    BdtFail Err.Number, Err.Description
End Sub

' 填充: write the derived cells and the standard paragraphs.
Public Sub BdtFill()
    On Error GoTo Failed
    If Not BdtReady() Then Exit Sub
    Application.StatusBar = "bdt：正在填充……"
    RunPython "import toolkit.excel as x; x.fill()"
    Application.StatusBar = False
    Exit Sub
Failed:
    BdtFail Err.Number, Err.Description
End Sub

' 导出: save, validate, ask before a draft, write the disclosure documents.
Public Sub BdtExport()
    On Error GoTo Failed
    If Not BdtReady() Then Exit Sub
    Application.StatusBar = "bdt：正在导出……"
    RunPython "import toolkit.excel as x; x.export()"
    Application.StatusBar = False
    Exit Sub
Failed:
    BdtFail Err.Number, Err.Description
End Sub

' 扩充行数: a copy of the workbook with more rows in the tables that are nearly full, opened.
Public Sub BdtGrow()
    On Error GoTo Failed
    If Not BdtReady() Then Exit Sub
    Application.StatusBar = "bdt：正在扩充行数……"
    RunPython "import toolkit.excel as x; x.grow()"
    Application.StatusBar = False
    Exit Sub
Failed:
    BdtFail Err.Number, Err.Description
End Sub

' 检查环境: which Python, bdt and xlwings the buttons use (the same report as `bdt doctor`).
Public Sub BdtCheck()
    On Error GoTo Failed
    Ready = False
    BdtRestartServer
    If Not BdtReady() Then Exit Sub
    Application.StatusBar = "bdt：正在检查环境……"
    RunPython "import toolkit.excel as x; x.check()"
    Application.StatusBar = False
    Exit Sub
Failed:
    BdtFail Err.Number, Err.Description
End Sub

' The interpreter RunPython will start (xlwings' own settings: sheet, workbook folder, user file).
Private Function BdtInterpreter() As String
    Dim interpreter As String
    #If Mac Then
        interpreter = GetConfig("INTERPRETER_MAC", "")
    #Else
        interpreter = GetConfig("INTERPRETER_WIN", "")
    #End If
    If interpreter = "" Then interpreter = GetConfig("INTERPRETER", "python")
    BdtInterpreter = interpreter
End Function

' True when Python can be started and has bdt and a fitting xlwings; otherwise says why, in Chinese.
Private Function BdtReady() As Boolean
    Dim interpreter As String
    BdtReady = False
    If Ready Then
        BdtReady = True
        Exit Function
    End If
    interpreter = BdtInterpreter()
    If interpreter <> "python" And interpreter <> "pythonw" And interpreter <> "python3" Then
        If Not FileExists(interpreter) Then
            BdtSay MSG_BAD_INTERPRETER & interpreter, DOC_INTERPRETER
            Exit Function
        End If
    End If
    #If Mac Then
        If Not BdtMacScriptInstalled() Then
            BdtSay MSG_MAC_RUNPYTHON, DOC_INSTALL
            Exit Function
        End If
        Ready = True
    #Else
        Ready = BdtProbeWindows(interpreter)
    #End If
    BdtReady = Ready
End Function

#If Mac Then
' xlwings runpython install puts xlwings-<version>.applescript where Excel's AppleScriptTask finds it.
Private Function BdtMacScriptInstalled() As Boolean
    Dim home As String, p As Long
    home = Environ("HOME")
    p = InStr(home, "/Library/Containers/")
    If p > 0 Then home = Left$(home, p - 1)
    On Error Resume Next
    BdtMacScriptInstalled = Len(Dir(home & "/Library/Application Scripts/com.microsoft.Excel/xlwings-" & _
                                    XLWINGS_VERSION & ".applescript")) > 0
    If Err.Number <> 0 Then BdtMacScriptInstalled = True  ' the folder cannot be read: let xlwings try
    On Error GoTo 0
End Function
#End If

' Start the interpreter once with BDT_PROBE, hidden, and read how far it got.
Private Function BdtProbeWindows(ByVal interpreter As String) As Boolean
    Dim logFile As String, cmd As String, out As String, code As Long, extra As String
    BdtProbeWindows = False
    logFile = Environ("TEMP") & "\bdt-probe-" & Format(Now, "hhnnss") & ".log"
    extra = Replace(GetConfig("PYTHONPATH"), "\", "\\")
    cmd = "cmd.exe /C """ & IIf(interpreter = "python" Or interpreter = "pythonw", "python", """" & interpreter & """") & _
          " -B -c ""import sys;sys.path[:0]=[p for p in r'" & extra & "'.split(';') if p];" & _
          "sys.path.insert(0,r'" & ThisWorkbook.Path & "');" & BDT_PROBE & """ > """ & logFile & """ 2>&1"""
    On Error GoTo Blocked
    code = WScript.Run(cmd, 0, True)
    On Error GoTo 0
    out = ""
    On Error Resume Next
    out = ReadFile(logFile)
    Kill logFile
    On Error GoTo 0
    Dim message As String
    message = BdtDiagnosis(code, out)
    If message = "" Then message = BdtServerDiagnosis(out, GetConfig("USE UDF SERVER", "False"), XLWINGS_VERSION)
    If Left$(message, Len(MSG_SERVER_VERSION)) = MSG_SERVER_VERSION Then
        BdtSay message, DOC_SERVER
    ElseIf message = "" Then
        BdtProbeWindows = True
    Else
        BdtSay message, IIf(message = MSG_NO_PYTHON Or message = MSG_NO_BDT Or message = MSG_NO_XLWINGS, DOC_INSTALL, DOC_HINTS)
    End If
    Exit Function
Blocked:
    BdtSay MSG_BLOCKED & "（" & Err.Description & "）", DOC_BLOCKED
End Function

' The message for what the probe printed (empty when everything is in place).
Public Function BdtDiagnosis(ByVal exitCode As Long, ByVal output As String) As String
    If InStr(output, "BDT-PYTHON") = 0 Then
        BdtDiagnosis = MSG_NO_PYTHON
    ElseIf InStr(output, "BDT-XLWINGS") = 0 Then
        BdtDiagnosis = MSG_NO_XLWINGS
    ElseIf InStr(output, "BDT-BDT") = 0 Then
        BdtDiagnosis = MSG_NO_BDT
    ElseIf InStr(output, "BDT-SUPPORTED 1") = 0 Then
        BdtDiagnosis = MSG_XLWINGS_VERSION
    Else
        BdtDiagnosis = ""
    End If
End Function

' "Use UDF Server" (xlwings keeps one Python running, Windows only) starts Python through
' xlwings64-<version>.dll, which only the xlwings of exactly the version of this project's xlwings
' module installs: with another version (bdt allows a range) every click would fail. Empty when the
' setting is off or the versions match.
Public Function BdtServerDiagnosis(ByVal output As String, ByVal useServer As String, ByVal version As String) As String
    Dim probeLine As Variant
    BdtServerDiagnosis = ""
    If LCase$(Trim$(useServer)) <> "true" Then Exit Function
    For Each probeLine In Split(Replace(output, vbCr, ""), vbLf)
        If Trim$(probeLine) = "BDT-XLWINGS " & version Then Exit Function
    Next
    BdtServerDiagnosis = MSG_SERVER_VERSION & version
End Function

' 检查环境 with "Use UDF Server" on: end the Python that stays running (xlwings' own KillPy), so that
' the next click starts a fresh one with what is installed now (after bdt or xlwings was updated).
Private Sub BdtRestartServer()
    #If Not Mac Then
        If LCase$(Trim$(GetConfig("USE UDF SERVER", "False"))) = "true" Then
            On Error Resume Next
            KillPy
            On Error GoTo 0
        End If
    #End If
End Sub

' Any error the handlers catch: the ASR rule shows up as "permission denied" (70) when starting Python.
Private Sub BdtFail(ByVal number As Long, ByVal description As String)
    On Error Resume Next
    Application.StatusBar = False
    If number = 70 Or number = -2147024891 Then
        BdtSay MSG_BLOCKED & "（" & description & "）", DOC_BLOCKED
    Else
        BdtSay MSG_UNEXPECTED & description & "（" & number & "）", DOC_HINTS
    End If
End Sub

Private Sub BdtSay(ByVal message As String, ByVal doc As String)
    MsgBox message & vbCrLf & vbCrLf & "说明见 " & doc & "。", vbExclamation, BDT_TITLE
End Sub

' Sheet protection for the Python side on macOS (toolkit/excel.py calls these through Book.macro:
' AppleScript cannot lift protection itself). The state is "drawing,scenarios,cells,columns,rows".
Public Function BdtIsProtected(ByVal sheetName As String) As Boolean
    BdtIsProtected = ThisWorkbook.Worksheets(sheetName).ProtectContents
End Function

Public Function BdtLiftProtection(ByVal sheetName As String) As String
    Dim ws As Worksheet
    Set ws = ThisWorkbook.Worksheets(sheetName)
    BdtLiftProtection = CStr(CInt(ws.ProtectDrawingObjects)) & "," & CStr(CInt(ws.ProtectScenarios)) & "," & _
        CStr(CInt(ws.Protection.AllowFormattingCells)) & "," & CStr(CInt(ws.Protection.AllowFormattingColumns)) & "," & _
        CStr(CInt(ws.Protection.AllowFormattingRows))
    ws.Unprotect
End Function

Public Sub BdtRestoreProtection(ByVal sheetName As String, ByVal state As String)
    Dim f() As String
    f = Split(state, ",")
    ThisWorkbook.Worksheets(sheetName).Protect DrawingObjects:=(f(0) <> "0"), Contents:=True, _
        Scenarios:=(f(1) <> "0"), AllowFormattingCells:=(f(2) <> "0"), _
        AllowFormattingColumns:=(f(3) <> "0"), AllowFormattingRows:=(f(4) <> "0")
End Sub
