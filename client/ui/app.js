/*
 * xasync — the clerk's report editor (client/ui/app.js).
 *
 * Served by `xasync ui` with index.html and app.css, built into the program
 * as they are: plain ES2020 in one file, no framework, no build step, nothing
 * loaded from anywhere else.  The HTTP interface is client/ui/API.md.
 *
 * How it works: the page loads the report's JSON (GET /api/report) and
 * renders all of it (header, blocks, indicator table, conflicts, findings)
 * from scratch.  Every write (POST) goes through one queue; after it the
 * report is loaded and rendered again, keeping the scroll position, the
 * focus and anything the clerk is still typing.  A save sends `expect` =
 * the value the page showed, so a value that arrived from another PC in the
 * meantime is never overwritten: the page shows it instead (409).
 *
 * Sections: 1 words (vi/en) · 2 state and helpers · 3 HTTP · 4 Vietnamese
 * numbers · 5 times · 6 sync badge · 7 banner and "saved" · 8 loading and
 * re-rendering · 9 rendering · 10 editing and saving · 11 block and row
 * actions · 12 history panel · 13 outline, language, start.
 */
'use strict';

(() => {
  /* ---- 1. words ------------------------------------------------------- */

  /* Every label: [Vietnamese, English]. */
  const WORDS = {
    skip: ['Bỏ qua, đến nội dung báo cáo', 'Skip to the report'],
    appName: ['Soạn báo cáo', 'Report editor'], reportLabel: ['Báo cáo', 'Report'],
    print: ['Bản in', 'Print view'],
    printTitle: ['Mở bản in của báo cáo trong thẻ mới', 'Open the printable report in a new tab'],
    langButton: ['English', 'Tiếng Việt'],
    langTitle: ['Switch the page to English', 'Chuyển trang sang tiếng Việt'],
    outline: ['Mục lục', 'Outline'], outlineHeader: ['Thông tin văn bản', 'Document details'],
    outlineTable: ['Bảng chỉ tiêu', 'Indicator table'],
    outlineFindings: ['Kết quả kiểm tra ({n})', 'Check findings ({n})'],
    jumpFindingTitle: ['Đến kết quả kiểm tra đầu tiên (Alt+K)', 'To the first finding (Alt+K)'], loading: ['Đang tải…', 'Loading…'],
    noReports: ['Chưa có báo cáo nào trên máy này.', 'There is no report on this PC yet.'],
    headerTitle: ['Thông tin văn bản', 'Document details'], fNumber: ['Số', 'Number'],
    fPlace: ['Địa danh', 'Place'], fDate: ['Ngày tháng', 'Date'], fDoctype: ['Loại văn bản', 'Document type'],
    fTitle: ['Trích yếu (tên báo cáo)', 'Title'], fBody: ['Cơ quan ban hành', 'Issuing body'],
    fSignerRole: ['Chức vụ người ký', 'Signer’s role'], fSignerName: ['Họ tên người ký', 'Signer’s name'],
    fRecipients: ['Nơi nhận (mỗi dòng một nơi)', 'Recipients (one per line)'],
    fNum: ['Số thứ tự đề mục', 'Heading number'], fText: ['Nội dung', 'Text'],
    fMarker: ['Dấu đầu dòng', 'Bullet mark'], fPos: ['Vị trí', 'Position'], fDeleted: ['Đã xóa', 'Deleted'],
    fKind: ['Loại', 'Kind'], fTable: ['Bảng', 'Table'],
    multiHint: ['Enter: xuống dòng · Ctrl+Enter: lưu · Esc: hủy', 'Enter: new line · Ctrl+Enter: save · Esc: cancel'],
    kPart: ['Phần', 'Part'], kHeading: ['Đề mục', 'Heading'], kPara: ['Đoạn văn', 'Paragraph'],
    kBullet: ['Gạch đầu dòng', 'Bullet'], kTable: ['Bảng chỉ tiêu', 'Indicator table'],
    kRow: ['Dòng chỉ tiêu', 'Indicator row'],
    orphanRows: ['Dòng chỉ tiêu không thuộc bảng nào', 'Indicator rows outside any table'],
    colTT: ['TT', 'No.'], colName: ['Chỉ tiêu', 'Indicator'], colUnit: ['ĐVT', 'Unit'],
    colPrev: ['KQ 6 tháng năm trước', 'Last year, 6 months'], colPlan: ['KH năm', 'Year plan'],
    colEst: ['Ước thực hiện', 'Estimate'], colVsPrev: ['So với cùng kỳ (%)', 'vs last year (%)'],
    colVsPlan: ['So với kế hoạch (%)', 'vs plan (%)'], colRemain: ['Còn phải thực hiện', 'Still to do'],
    colNote: ['Ghi chú', 'Note'], colActions: ['Thao tác', 'Actions'],
    tools: ['Thao tác: {what}', 'Actions: {what}'],
    aAddPara: ['Thêm đoạn văn phía sau', 'Add a paragraph after'],
    aAddBullet: ['Thêm gạch đầu dòng phía sau', 'Add a bullet after'],
    aDelete: ['Xóa khối này', 'Delete this block'], aMoveUp: ['Chuyển lên', 'Move up'],
    aMoveDown: ['Chuyển xuống', 'Move down'], aHistory: ['Lịch sử sửa đổi', 'History of changes'],
    aAddRow: ['Thêm dòng phía sau', 'Add a row after'], aDeleteRow: ['Xóa dòng này', 'Delete this row'],
    confirmDelete: ['Xóa khối này?', 'Delete this block?'],
    confirmDeleteRow: ['Xóa dòng này?', 'Delete this row?'], yesDelete: ['Xóa', 'Delete'],
    noKeep: ['Không', 'No'],
    figAmbiguous: ['"{v}" không rõ nghĩa: {a} (nghìn) hay {b}? Ghi rõ một trong hai — sẽ không lưu được.', '"{v}" is ambiguous: {a} (thousands) or {b}? Write one of them — it will not be saved.'],
    figEnglish: ['"{v}" không phải là số hợp lệ; {a}? Số viết kiểu Việt Nam: 1.460 · 636,4 · 1.234.567,89 · 0,5 · -3 — sẽ không lưu được.', '"{v}" is not a valid number; {a}? Vietnamese figures: 1.460 · 636,4 · 1.234.567,89 · 0,5 · -3 — it will not be saved.'],
    figPercent: ['Dấu % chỉ dùng khi đơn vị tính là % — sẽ không lưu được.', 'A % sign only where the unit is % — it will not be saved.'],
    figTab: ['Không được xuống dòng hay dùng phím Tab trong một ô — sẽ không lưu được.', 'A table cell holds no line break and no tab — it will not be saved.'],
    badNumber: ['Không đọc được số này. Viết theo kiểu Việt Nam: 1.460 (một nghìn bốn trăm sáu mươi) hoặc 636,4. Sẽ không lưu được.', 'Not a number in the Vietnamese format: 1.460 (one thousand four hundred sixty) or 636,4. It will not be saved.'],
    derivedTitle: ['Tự tính từ các cột số liệu', 'Computed from the figures of the row'],
    printedOkTitle: ['Số in trong báo cáo, khớp với số liệu của dòng', 'As printed in the report; it agrees with the figures of the row'],
    printedTitle: ['Số in trong báo cáo, không khớp với số liệu của dòng (tính lại: {v})', 'As printed in the report; the figures of the row give {v}'],
    saved: ['Đã lưu', 'Saved'],
    changedElsewhere: ['Giá trị này vừa được thay đổi từ máy khác', 'This value was just changed on another computer'],
    youTyped: ['Bạn đã gõ:', 'You typed:'], useMine: ['Dùng lại chữ tôi đã gõ', 'Put my text back'],
    dismiss: ['Đóng', 'Close'],
    conflictTitle: ['Hai máy đã sửa «{field}» cùng lúc. Hãy chọn giá trị giữ lại:', 'Two computers changed “{field}” at the same time. Choose the value to keep:'],
    conflictMark: ['XUNG ĐỘT', 'CONFLICT'],
    conflictMarkTitle: ['Ô này có giá trị từ hai máy; chọn ở dòng bên dưới', 'This cell holds values from two computers; choose below the row'],
    conflictBlock: ['Khối này có giá trị đồng thời từ hai máy.', 'This block holds concurrent values from two computers.'],
    conflictsSummary: ['{n} chỗ có giá trị từ hai máy cần chọn.', '{n} place(s) hold values from two computers and need a choice.'],
    gotoFirst: ['Đến chỗ đầu tiên', 'Go to the first one'], keep: ['Giữ giá trị này', 'Keep this value'],
    writeNew: ['Viết giá trị mới', 'Write a new value'], save: ['Lưu', 'Save'], cancel: ['Hủy', 'Cancel'],
    empty: ['(trống)', '(empty)'], by: ['{author}, lúc {time}', '{author}, at {time}'],
    findingsLeft: ['Kết quả kiểm tra báo cáo (chỉ để tham khảo, không ngăn việc lưu hay gửi):', 'Report check (for information only; it never blocks saving or sending):'],
    findingAt: ['Tại {where}: ', 'At {where}: '], historyTitle: ['Lịch sử: {what}', 'History: {what}'],
    historyClose: ['Đóng', 'Close'], historyNone: ['Chưa có thay đổi nào.', 'No changes yet.'],
    historyLoading: ['Đang tải lịch sử…', 'Loading the history…'],
    hTime: ['Thời gian', 'Time'], hAuthor: ['Người sửa', 'Author'], hField: ['Mục', 'Field'],
    hChange: ['Trước → Sau', 'Before → After'],
    restoreValue: ['Khôi phục giá trị này', 'Restore this value'],
    errRestore: ['Không khôi phục được', 'Cannot restore'],
    badgeSent: ['Đã gửi lên huyện lúc {t}', 'Sent to the district at {t}'],
    badgeNothing: ['Không có thay đổi nào chờ gửi', 'No changes waiting'],
    badgeWaiting1: ['{n} thay đổi đang chờ gửi', '{n} change waiting to be sent'],
    badgeWaitingN: ['{n} thay đổi đang chờ gửi', '{n} changes waiting to be sent'],
    badgeOffline: ['Mất kết nối từ {t} — thử lại sau khoảng {x} phút', 'Connection lost since {t} — next try in about {x} min'],
    badgeOfflineSoon: ['Mất kết nối từ {t} — thử lại sau vài giây', 'Connection lost since {t} — next try in a few seconds'],
    badgeOfflineNoTry: ['Mất kết nối từ {t}', 'Connection lost since {t}'],
    badgeNoRemote: ['Chưa đặt máy chủ huyện', 'No district server set'],
    badgeLocalDown: ['Không liên lạc được với xasync trên máy này', 'Cannot reach xasync on this PC'],
    badgeChecking: ['Đang kiểm tra đồng bộ…', 'Checking the sync…'],
    tipPending: ['Thay đổi chờ gửi: {n}', 'Changes waiting: {n}'],
    tipLast: ['Gửi thành công lần cuối: {t}', 'Last sent: {t}'],
    tipNever: ['Chưa gửi thành công lần nào', 'Never sent yet'],
    tipError: ['Lỗi gần nhất: {e}', 'Last error: {e}'],
    tipNoDaemon: ['Chương trình đồng bộ (xasync daemon) đang không chạy', 'The sync daemon (xasync daemon) is not running'],
    tipRemote: ['Máy chủ huyện: {r}', 'District server: {r}'],
    errNetwork: ['Không liên lạc được với chương trình xasync trên máy này. Thay đổi chưa được lưu; hãy kiểm tra «xasync ui» còn chạy rồi thử lại.', 'Cannot reach the xasync program on this PC. The change is not saved; check that “xasync ui” is still running and try again.'],
    errForbidden: ['xasync từ chối yêu cầu (có thể trang đã cũ vì xasync vừa khởi động lại). Hãy tải lại trang (F5).', 'xasync refused the request (the page may be out of date because xasync restarted). Reload the page (F5).'],
    errTooBig: ['Nội dung quá dài để lưu một lần.', 'The text is too long to save at once.'],
    errNotFound: ['Không tìm thấy mục này (có thể máy khác vừa xóa).', 'This item was not found (another computer may have deleted it).'],
    errOther: ['Lỗi {status}.', 'Error {status}.'],
    errNoSecret: ['Trang này không được mở qua lệnh «xasync ui» nên sẽ không lưu được. Hãy mở lại bằng lệnh đó.', 'This page was not opened through “xasync ui”, so it cannot save. Open it again with that command.'],
    errSave: ['Chưa lưu được', 'Not saved'],
    errLoad: ['Không mở được báo cáo', 'Cannot open the report'],
    errList: ['Không đọc được danh sách báo cáo', 'Cannot read the list of reports'],
    undo: ['Hoàn tác', 'Undo'],
    undoTitle: ['Hoàn tác lần lưu gần nhất (Ctrl+Z): ghi lại giá trị trước đó', 'Undo the last save (Ctrl+Z): write the earlier value back'],
    undoTitleWhat: ['Hoàn tác (Ctrl+Z): {what}', 'Undo (Ctrl+Z): {what}'],
    undoDelete: ['khôi phục {what}', 'restore {what}'],
    undoSet: ['{field} trở lại “{v}”', '{field} back to “{v}”'],
    undoNothing: ['Không có gì để hoàn tác', 'Nothing to undo'],
    redo: ['Làm lại', 'Redo'],
    redoTitle: ['Làm lại điều vừa hoàn tác (Ctrl+Y)', 'Redo what was just undone (Ctrl+Y)'],
    redoNothing: ['Không có gì để làm lại', 'Nothing to redo'],
    errUndo: ['Không hoàn tác được', 'Cannot undo'],
    fixIt: ['Sửa thành {v}', 'Fix: {v}'], errFix: ['Không sửa được', 'Cannot fix'],
    errAdd: ['Không thêm được', 'Cannot add'], errDelete: ['Không xóa được', 'Cannot delete'],
    errMove: ['Không chuyển được', 'Cannot move'],
    errResolve: ['Không lưu được lựa chọn', 'Cannot save the choice'],
    errHistory: ['Không xem được lịch sử', 'Cannot show the history'],
    errBadReport: ['Dữ liệu báo cáo nhận được không đúng dạng.', 'The report data received is not in the expected form.'],
    nowConflict: ['Ô này vừa có giá trị khác từ máy khác: hãy chọn giá trị giữ lại.', 'Another computer just wrote a different value here: choose the value to keep.'],
    close: ['Đóng thông báo', 'Close the message'],
    syncNow: ['Gửi ngay', 'Send now'],
    syncNowTitle: ['Gửi các thay đổi lên huyện và nhận thay đổi từ máy khác ngay bây giờ', 'Send the changes to the district and receive other PCs’ changes now'],
    syncing: ['Đang gửi…', 'Sending…'],
    syncDone: ['Đã gửi xong lúc {t}: gửi đi {s}, nhận về {r} thay đổi.', 'Sent at {t}: {s} changes sent, {r} received.'],
    syncDoneShort: ['Đã gửi xong.', 'Sent.'],
    exchange: ['Gửi & USB', 'Send & USB'],
    exchangeTitle: ['Gửi báo cáo lên huyện, trao đổi bằng USB, chương trình tự gửi', 'Send the report to the district, exchange by USB, the sending program'],
    exchangeHead: ['Gửi báo cáo và trao đổi bằng USB', 'Sending the report and the USB exchange'],
    secNet: ['Gửi qua mạng', 'Sending over the network'],
    secReport: ['Báo cáo đang mở', 'The report shown'],
    secUsb: ['Trao đổi bằng USB (khi không có mạng)', 'Exchange by USB stick (with no network)'],
    daemonOn: ['Chương trình tự gửi đang chạy: thay đổi được gửi lên huyện mỗi khi có mạng.', 'The sending program is running: changes go to the district whenever there is a network.'],
    daemonOff: ['Chương trình tự gửi đang tắt: thay đổi chỉ được gửi khi bấm «Gửi ngay».', 'The sending program is off: changes are sent only when you press “Send now”.'],
    daemonStart: ['Bật chương trình tự gửi', 'Start the sending program'],
    daemonOffShort: ['Bật tự gửi', 'Start auto-send'],
    daemonOffTitle: ['Chương trình tự gửi đang tắt: bấm để bật', 'The sending program is off: press to start it'],
    daemonStarting: ['Đang bật chương trình tự gửi…', 'Starting the sending program…'],
    eDaemon: ['Không bật được chương trình tự gửi.', 'Cannot start the sending program.'],
    submit: ['Gửi lên huyện', 'Send to the district'],
    submitTitle: ['Gửi bản báo cáo như đang thấy lên huyện', 'Send the report as it is now to the district'],
    submitted: ['Đã đánh dấu gửi; đang gửi lên huyện…', 'Marked as sent; sending to the district…'],
    submittedSent: ['Báo cáo đã được gửi lên huyện.', 'The report has been sent to the district.'],
    submittedLater: ['Báo cáo đã được đánh dấu gửi; nó sẽ tự đến huyện khi có mạng.', 'The report is marked as sent; it reaches the district when there is a network.'],
    eSubmit: ['Không gửi được báo cáo lên huyện.', 'Cannot send the report to the district.'],
    eNoForm: ['Báo cáo này chưa gắn với biểu mẫu của huyện nên chưa gửi lên huyện được.', 'This report is not bound to a district form, so it cannot be sent to the district.'],
    stateNoForm: ['Báo cáo này chưa gắn với biểu mẫu của huyện (chỉ báo cáo theo biểu mẫu mới gửi lên huyện được).', 'This report is not bound to a district form (only a report on a form is sent to the district).'],
    stDraft: ['Bản nháp: chưa gửi lên huyện.', 'Draft: not sent to the district yet.'],
    stSent: ['Đã gửi lên huyện lúc {t}; đang chờ huyện xem.', 'Sent to the district at {t}; waiting for the district.'],
    stEdited: ['Đã gửi lúc {t}, nhưng đã sửa sau đó: đây là bản nháp mới, hãy gửi lại.', 'Sent at {t}, but edited since: a new draft; send it again.'],
    stAccepted: ['Huyện đã nhận báo cáo này (bản gửi lúc {t}).', 'The district accepted this report (sent at {t}).'],
    stAcceptedEdited: ['Huyện đã nhận bản gửi trước; báo cáo đã sửa sau đó, hãy gửi lại.', 'The district accepted the earlier version; it has been edited since: send it again.'],
    stReturned: ['Huyện đã trả lại báo cáo này. Lý do: {r}. Hãy sửa rồi bấm «Gửi lên huyện» lần nữa.', 'The district returned this report. Reason: {r}. Correct it, then press “Send to the district” again.'],
    usbStep1: ['Trên máy nhận: tải tệp «máy này đang có» và chép sang USB.', 'On the receiving PC: save the “what this PC holds” file and copy it to the stick.'],
    usbStep2: ['Trên máy gửi: chọn tệp «đang có» của máy kia (nếu có), rồi tải tệp thay đổi và chép sang USB.', 'On the sending PC: choose the other PC’s “holds” file (if you have it), then save the changes file and copy it to the stick.'],
    usbStep3: ['Trên máy nhận: chọn tệp thay đổi từ USB để nhận vào máy này.', 'On the receiving PC: choose the changes file from the stick to take it in.'],
    haveBtn: ['Tải tệp «máy này đang có»', 'Save “what this PC holds”'],
    exportBtn: ['Tải tệp thay đổi cho máy kia', 'Save the changes file for the other PC'],
    applyBtn: ['Nhận tệp vào máy này', 'Take the file in'],
    chooseFile: ['Hãy chọn tệp trước.', 'Choose a file first.'],
    haveSaved: ['Đã lưu tệp {f} (thư mục Tải về). Chép nó sang USB.', 'Saved {f} (the Downloads folder). Copy it to the stick.'],
    exportSaved: ['Đã lưu tệp {f} (thư mục Tải về). Chép nó sang USB rồi nhận trên máy kia.', 'Saved {f} (the Downloads folder). Copy it to the stick and take it in on the other PC.'],
    applied: ['Đã nhận tệp: {n} thay đổi mới ({d} thay đổi đã có từ trước).', 'File taken in: {n} new changes ({d} already here).'],
    appliedShort: ['Đã nhận tệp.', 'File taken in.'],
    detail: ['(Chi tiết: {d})', '(Detail: {d})'],
    eSyncLink: ['Không kết nối được máy chủ huyện. Hãy kiểm tra mạng rồi bấm «Gửi ngay» lần nữa; các thay đổi vẫn được giữ an toàn trên máy này.', 'Cannot reach the district server. Check the network and press “Send now” again; the changes are kept safe on this PC.'],
    eNoRemote: ['Máy này chưa đặt địa chỉ máy chủ huyện.', 'No district server is set on this PC.'],
    eDisk: ['Ổ đĩa của máy này đã đầy: hãy xóa bớt tệp rồi thử lại.', 'This PC’s disk is full: free some space and try again.'],
    eRefused: ['Máy chủ huyện từ chối máy này (khóa của xã không đúng hoặc đã bị thay). Hãy hỏi cán bộ huyện.', 'The district server refused this PC (the commune’s key is wrong or was replaced). Ask the district.'],
    eTls: ['Không kết nối an toàn được với máy chủ huyện (chứng chỉ, hoặc địa chỉ http/https không đúng). Hãy hỏi cán bộ huyện.', 'No secure connection to the district server (the certificate, or http/https in the address). Ask the district.'],
    eApply: ['Không nhận được tệp này; máy này không thay đổi gì.', 'This file could not be taken in; nothing changed on this PC.'],
    eScope: ['Tệp này là của xã khác; máy này không nhận gì.', 'This file belongs to another commune; nothing was taken in.'],
    eNotOps: ['Tệp này không phải tệp thay đổi của xasync, hoặc đã bị hỏng; máy này không nhận gì. Hãy chép lại tệp từ máy kia.', 'This is not an xasync changes file, or it is damaged; nothing was taken in. Copy it again from the other PC.'],
    eGap: ['Còn thiếu một tệp trước đó từ máy kia; máy này không nhận gì. Hãy nhận các tệp theo thứ tự, hoặc tạo tệp mới trên máy kia bằng tệp «đang có» của máy này.', 'A file from the other PC is missing before this one; nothing was taken in. Take the files in order, or make a new one on the other PC with this PC’s “holds” file.'],
    eForged: ['Một trong hai máy đã được chép hoặc khôi phục từ bản sao; máy này chưa nhận gì. Hãy trao đổi theo chiều ngược lại trước.', 'One of the two PCs was copied or restored from a backup; nothing was taken in. Exchange the other way first.'],
    eExport: ['Không tạo được tệp thay đổi.', 'Cannot make the changes file.'],
    eSnapshot: ['Máy này không giữ toàn bộ lịch sử nên cần biết máy kia đang có gì: lấy tệp «máy này đang có» từ máy kia (bước 1) và chọn nó ở bước 2.', 'This PC does not hold the whole history, so it needs to know what the other PC holds: bring that PC’s “holds” file (step 1) and choose it in step 2.'],
    eHaveFile: ['Tệp «đang có» đã chọn không đúng dạng.', 'The “holds” file chosen is not in the right form.'],
    eOther: ['Không làm được việc này.', 'This could not be done.'],
    newReportBtn: ['Tạo hoặc nhập báo cáo khác…', 'Start or import another report…'],
    help: ['Trợ giúp', 'Help'], helpTitle: ['Giải thích các dấu hiệu, trao đổi bằng USB, xung đột', 'What the marks mean, the USB exchange, conflicts'],
    helpHead: ['Trợ giúp', 'Help'],
    hBadges: ['Các dấu hiệu trên trang', 'What the marks mean'],
    hSent: ['Đã gửi lên huyện: mọi thay đổi trên máy này đã đến máy chủ huyện.', 'Sent to the district: every change made on this PC has reached the district server.'],
    hWaiting: ['Thay đổi đang chờ gửi: đã lưu an toàn trên máy này, sẽ tự gửi khi có mạng (hoặc bấm «Gửi ngay»).', 'Changes waiting: saved safely on this PC, sent by themselves when there is a network (or press “Send now”).'],
    hOffline: ['Mất kết nối: không liên lạc được máy chủ huyện; máy tự thử lại. Không mất gì, cứ tiếp tục sửa.', 'Connection lost: the district server cannot be reached; the PC tries again by itself. Nothing is lost; keep working.'],
    hNoRemote: ['Chưa đặt máy chủ huyện: máy này chưa biết địa chỉ máy chủ huyện; chỉ trao đổi được bằng USB.', 'No district server set: this PC does not know the district server; only the USB exchange works.'],
    hSaved: ['«Đã lưu» hiện ra sau mỗi lần lưu. Trang tự lưu khi bạn ngừng gõ một lát, khi rời ô hoặc bấm Enter.', '“Saved” shows after each save. The page saves by itself when you stop typing for a moment, when you leave a cell, or on Enter.'],
    hConflictMark: ['XUNG ĐỘT (nền vàng): hai máy đã sửa cùng một ô; hãy chọn giá trị giữ lại (xem dưới).', 'CONFLICT (yellow): two PCs changed the same cell; choose the value to keep (see below).'],
    hFinding: ['Hình tam giác vàng: kết quả kiểm tra báo cáo (ví dụ số tính lại không khớp). Chỉ để tham khảo; nút «Sửa thành …» sửa ngay.', 'Yellow triangle: a finding of the report check (e.g. a recomputed figure that disagrees). For information; the “Fix: …” button fixes it at once.'],
    hBadNumber: ['Viền đỏ quanh một số: số viết chưa đúng kiểu Việt Nam (1.460 là một nghìn bốn trăm sáu mươi; 636,4 có phần thập phân); ô đó chưa được lưu.', 'A red outline round a figure: not in the Vietnamese format (1.460 is one thousand four hundred sixty; 636,4 has a decimal part); it is not saved.'],
    hState: ['Bản nháp, Đã gửi, Huyện đã nhận, Huyện trả lại: trạng thái của báo cáo theo biểu mẫu huyện. Khi huyện trả lại, lý do hiện ở đầu báo cáo.', 'Draft, Sent, Accepted, Returned: the state of a report on the district form. When the district returns it, its reason shows above the report.'],
    hUsb: ['Trao đổi bằng USB', 'The USB exchange'],
    hUsb1: ['Dùng khi không có mạng, để chuyển thay đổi giữa hai máy (hai máy của xã, hoặc máy xã và máy huyện). Bấm «Gửi & USB».', 'When there is no network, to carry changes between two PCs (two of the commune’s, or the commune’s and the district’s). Press “Send & USB”.'],
    hUsb2: ['Trên máy sẽ nhận: bấm «Tải tệp «máy này đang có»», chép tệp vào USB.', 'On the PC that receives: press “Save what this PC holds”, copy the file to the stick.'],
    hUsb3: ['Trên máy có thay đổi: chọn tệp vừa mang sang ở bước 2, bấm «Tải tệp thay đổi cho máy kia», chép tệp vào USB.', 'On the PC with the changes: choose that file in step 2, press “Save the changes file”, copy the file to the stick.'],
    hUsb4: ['Trở lại máy nhận: ở bước 3 chọn tệp thay đổi, bấm «Nhận tệp vào máy này». Nhận một tệp hai lần không sao; tệp hỏng hoặc của xã khác bị từ chối và máy không thay đổi gì.', 'Back on the receiving PC: choose the changes file in step 3, press “Take the file in”. Taking a file twice does no harm; a damaged file or another commune’s is refused and nothing changes.'],
    hConflict: ['Xung đột là gì, xử lý thế nào', 'What a conflict is, and how to settle it'],
    hConflict1: ['Khi hai máy sửa cùng một ô trước khi kịp trao đổi với nhau, cả hai giá trị đều được giữ, không mất giá trị nào. Ô đó hiện chữ XUNG ĐỘT.', 'When two PCs change the same cell before they exchange, both values are kept; none is lost. The cell shows CONFLICT.'],
    hConflict2: ['Bấm «Đến chỗ đầu tiên» ở đầu trang. Mỗi giá trị có tên người sửa và giờ sửa. Bấm «Giữ giá trị này» bên giá trị đúng, hoặc «Viết giá trị mới» để gõ giá trị khác.', 'Press “Go to the first one” at the top. Each value shows who wrote it and when. Press “Keep this value” by the right one, or “Write a new value” to type another.'],
    hConflict3: ['Lựa chọn của bạn được gửi đến các máy khác như một thay đổi bình thường; có thể xem lại trong «Lịch sử sửa đổi» và hoàn tác.', 'Your choice reaches the other PCs like any change; it is in the history and can be undone.'],
    hKeys: ['Phím tắt', 'Keys'],
    hKeys1: ['Ctrl+Z: hoàn tác lần lưu gần nhất · Ctrl+Y: làm lại · Enter: lưu và xuống dòng dưới · Esc: bỏ phần vừa gõ · Tab: sang ô sau · Alt+B: đến bảng chỉ tiêu · Alt+K: đến kết quả kiểm tra đầu tiên.', 'Ctrl+Z: undo the last save · Ctrl+Y: redo · Enter: save and go one row down · Esc: drop what was typed · Tab: next cell · Alt+B: to the indicator table · Alt+K: to the first finding.'],
    setupHead: ['Cài đặt lần đầu trên máy này', 'First setup of this PC'],
    setupIntro: ['Máy này chưa có dữ liệu báo cáo. Hãy điền ba thông tin do huyện cung cấp; trang sẽ kiểm tra kết nối rồi tạo dữ liệu.', 'This PC holds no report data yet. Fill in the three things the district gave you; the page tests the connection, then creates the data.'],
    setupScope: ['Mã xã (do huyện cấp, ví dụ: hoang-kim)', 'Commune code (from the district, e.g. hoang-kim)'],
    setupUrl: ['Địa chỉ máy chủ huyện (ví dụ: https://baocao.huyen.gov.vn)', 'District server address (e.g. https://reports.district.gov.vn)'],
    setupToken: ['Khóa của xã: dán vào đây, hoặc chọn tệp khóa huyện đưa (USB)', 'The commune’s key: paste it here, or choose the key file the district gave you (USB)'],
    setupGo: ['Kiểm tra kết nối và tạo dữ liệu', 'Test the connection and create the data'],
    setupScopeList: ['Xã (theo danh sách của huyện)', 'Commune (from the district’s list)'],
    setupScopeOther: ['Xã khác: gõ mã xã…', 'Another commune: type its code…'],
    setupListNote: ['Danh sách xã lấy từ máy chủ huyện.', 'The list of communes comes from the district server.'],
    setupTypedNote: ['Chưa lấy được danh sách xã từ máy chủ huyện (chưa kết nối được); hãy gõ mã xã do huyện cấp.', 'The district server’s list of communes could not be fetched (no connection yet); type the commune code the district gave you.'],
    setupWorking: ['Đang kiểm tra kết nối với máy chủ huyện…', 'Testing the connection to the district server…'],
    setupDone: ['Đã kết nối và tạo dữ liệu trên máy này.', 'Connected; the data is created on this PC.'],
    eSetupScope: ['Mã xã không đúng dạng (chữ thường không dấu, số, dấu gạch ngang; ví dụ hoang-kim).', 'The commune code is not in the right form (lower-case letters without accents, digits, hyphens; e.g. hoang-kim).'],
    eSetupUrl: ['Địa chỉ máy chủ huyện phải bắt đầu bằng http:// hoặc https://.', 'The district server address begins with http:// or https://.'],
    eSetupToken: ['Hãy dán khóa của xã, hoặc chọn tệp khóa.', 'Paste the commune’s key, or choose the key file.'],
    eSetup: ['Chưa tạo được dữ liệu; máy này không thay đổi gì.', 'The data could not be created; nothing changed on this PC.'],
    newHead: ['Tạo báo cáo', 'Start a report'],
    newForm: ['Báo cáo mới theo biểu mẫu của huyện', 'A new report on the district’s form'],
    newNoForms: ['Huyện chưa gửi biểu mẫu nào về máy này (bấm «Gửi ngay» để nhận).', 'The district has sent no form to this PC yet (press “Send now” to receive them).'],
    newPeriod: ['Kỳ báo cáo (ví dụ: 2024-h1 là 6 tháng đầu năm 2024; 2024 là cả năm; 2024-q3; 2024-07)', 'Period (e.g. 2024-h1 is the first half of 2024; 2024 the whole year; 2024-q3; 2024-07)'],
    newGo: ['Tạo báo cáo mới', 'Create the report'],
    importHead: ['Hoặc nhập báo cáo đã có từ tệp (.txt hoặc Word .docx)', 'Or import an existing report from a file (.txt or Word .docx)'],
    copyHead: ['Hoặc chép báo cáo kỳ trước', 'Or copy last period’s report'],
    copyIntro: ['Giữ nguyên lời văn; số liệu «ước thực hiện» kỳ trước được chuyển sang cột kỳ trước, cột kỳ này để trống cho bạn điền.', 'The text is kept; last period’s figures (“ước thực hiện”) move to the previous-period column, and this period’s column is left empty for you to fill.'],
    copyFrom: ['Báo cáo kỳ trước', 'Last period’s report'],
    copyPeriod: ['Kỳ của báo cáo mới', 'The new report’s period'],
    copyGo: ['Chép báo cáo kỳ trước', 'Copy last period’s report'],
    eCopy: ['Không chép được báo cáo; máy này không thay đổi gì.', 'Cannot copy the report; nothing changed on this PC.'],
    importGo: ['Nhập báo cáo', 'Import the report'],
    newDone: ['Đã tạo báo cáo.', 'The report is created.'],
    eNew: ['Không tạo được báo cáo.', 'Cannot create the report.'],
    eImport: ['Không nhập được báo cáo từ tệp này; máy này không thay đổi gì.', 'Cannot import a report from this file; nothing changed on this PC.'],
    authorLabel: ['Người sửa', 'Author'],
    authorTitle: ['Đổi tên người đang sửa trên máy này', 'Change who is editing on this PC'],
    authorAsk: ['Ai đang sửa báo cáo trên máy này? (họ tên, ghi vào mỗi thay đổi)', 'Who is editing on this PC? (full name, recorded with every change)'],
    authorSaved: ['Từ giờ, các thay đổi ghi tên {a}.', 'From now on, changes carry the name {a}.'],
    eAuthor: ['Không đổi được tên người sửa.', 'Cannot change the author.'],
  };

  /* A label in the current language, {name} replaced from params. */
  function t(key, params) {
    const w = WORDS[key];
    let s = w ? w[S.lang === 'en' ? 1 : 0] : key;
    if (params) s = s.replace(/\{(\w+)\}/g, (m, k) => (params[k] == null ? m : String(params[k])));
    return s;
  }

  /* ---- 2. state and helpers ------------------------------------------- */

  const S = {
    lang: 'vi',
    secret: '',
    reports: [],
    reportId: null,
    report: null,           // the last /api/report answer, normalised
    header: {},             // header fields as strings (recipients joined by \n)
    byEntity: new Map(),    // entity → block
    byId: new Map(),        // block id → block
    live: [],               // blocks not deleted, in order
    display: [],            // live blocks other than rows, in order (what move works on)
    rowsByTable: new Map(), // table id → its live rows
    orphans: [],            // live rows of no live table
    shown: new Map(),       // fkey → the value the page shows (the `expect` of a save)
    conflicts: new Map(),   // fkey → {values}
    conflictFields: new Map(), // entity → [field]
    notices: new Map(),     // fkey → {typed, who}: "changed on another computer"
    inflight: new Map(),    // fkey → value being saved
    autosave: new Map(),    // fkey → the timer that saves it after a pause
    undo: [],               // the clerk's saves in this page, newest last: {entity, field, before, after}
    redo: [],               // what undo wrote, to write again (Ctrl+Y)
    restoreTyped: new Map(),// fkey → text the clerk was typing, put back after a re-render
    findings: new Map(),    // entity → [finding]
    findingCols: new Map(), // entity → Set of columns named by findings
    unmatched: [],          // findings that name nothing on the page
    loadSeq: 0,
    historySeq: 0,
    historyReturn: null,
    pendingWrites: 0,
    focusAfter: null,       // focus key to use at the next render
    rendering: false,
    status: null,
    statusFailed: false,
    bannerKind: null,
    listFailed: false,
    version: null,          // the change counter the shown report was read at (GET /api/changes)
    composing: false,       // an input method (Unikey, ibus) is composing a word
    author: '',             // who is writing (GET /api/author)
  };

  const SEP = '\u0001';
  const fkey = (entity, field) => entity + SEP + field;
  const $ = (sel) => document.querySelector(sel);
  const main = $('#main');
  const TEXT_KINDS = ['part', 'heading', 'para', 'bullet'];
  const FIELD_SIZING = !!(window.CSS && CSS.supports && CSS.supports('field-sizing', 'content'));

  /* A field's value as text: fields are JSON values, usually strings. */
  const str = (v) => (v == null ? '' : typeof v === 'string' ? v : JSON.stringify(v));
  const esc = (s) => (window.CSS && CSS.escape ? CSS.escape(s) : String(s).replace(/["\\]/g, '\\$&'));
  const isRoman = (tt) => /^[IVX]+$/.test(tt || '');
  const entOf = (b) => (b.entity ? b.entity : `${S.report.id}/b/${b.id}`);

  /* h('tag', {attr: value, ...}, ...children): text children are text
   * nodes (never HTML); null, false and undefined are skipped. */
  function h(tag, attrs, ...kids) {
    const el = document.createElement(tag);
    if (attrs) {
      for (const [k, v] of Object.entries(attrs)) {
        if (v == null || v === false) continue;
        if (k === 'class') el.className = v;
        else if (k === 'value') el.value = v;
        else el.setAttribute(k, v === true ? '' : String(v));
      }
    }
    for (const kid of kids.flat(Infinity)) {
      if (kid == null || kid === false) continue;
      el.append(kid instanceof Node ? kid : String(kid));
    }
    return el;
  }

  function btn(action, label, attrs) {
    return h('button', Object.assign({ type: 'button', class: 'btn btn-small', 'data-action': action }, attrs), label);
  }

  /* Icons: fixed inline SVG (never built from data). */
  const SVG = (d) => `<svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" focusable="false" fill="none" stroke="currentColor" stroke-width="1.6" stroke-linecap="round" stroke-linejoin="round">${d}</svg>`;
  const ICON = {
    para: SVG('<path d="M2 3.5h8M2 7h8M2 10.5h4.5M12.5 9v6M9.5 12h6"/>'),
    bullet: SVG('<circle cx="3" cy="5" r="1.3" fill="currentColor" stroke="none"/><path d="M6 5h6M12.5 9v6M9.5 12h6"/>'),
    up: SVG('<path d="M8 13.5V2.5M3.5 7 8 2.5 12.5 7"/>'),
    down: SVG('<path d="M8 2.5v11M3.5 9 8 13.5 12.5 9"/>'),
    clock: SVG('<circle cx="8" cy="8" r="6"/><path d="M8 4.5V8l2.5 1.6"/>'),
    trash: SVG('<path d="M2.5 4h11M6 4V2.5h4V4M4 4l.8 9.5h6.4L12 4M6.6 6.5v4.5M9.4 6.5v4.5"/>'),
    plus: SVG('<path d="M8 3v10M3 8h10"/>'),
    warn: '<svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" focusable="false"><path d="M8 1.3 15.2 14H.8z" fill="#f2b200" stroke="#5a4000" stroke-width="1" stroke-linejoin="round"/><path d="M8 5.6v4.3" stroke="#1b1b1b" stroke-width="1.7" stroke-linecap="round"/><circle cx="8" cy="11.9" r=".95" fill="#1b1b1b"/></svg>',
  };
  const icon = (name, cls) => {
    const s = h('span', { class: cls || 'icon' });
    s.innerHTML = ICON[name];
    return s;
  };

  /* ---- 3. HTTP -------------------------------------------------------- */

  class ApiError extends Error {
    constructor(status, data) {
      super(`HTTP ${status}`);
      this.status = status; // 0: no answer
      this.data = data;
    }
  }

  /* GET or POST one endpoint; the answer's JSON, or an ApiError. */
  async function api(method, path, body) {
    const opts = { method, cache: 'no-store', credentials: 'same-origin', headers: { Accept: 'application/json' } };
    if (method === 'POST') {
      opts.headers['Content-Type'] = 'application/json';
      opts.headers['X-Xasync-Secret'] = S.secret;
      opts.body = JSON.stringify(body);
    }
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), 30000);
    opts.signal = ctl.signal;
    let res, text;
    try {
      res = await fetch(path, opts);
      text = await res.text();
    } catch (e) {
      throw new ApiError(0, null);
    } finally {
      clearTimeout(timer);
    }
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch (e) {
      data = null;
    }
    if (!res.ok) throw new ApiError(res.status, data);
    if (S.bannerKind === 'network') hideBanner();
    return data;
  }

  /* An error in the clerk's words: the server's own message when it gave one. */
  function errText(e) {
    const said = e && e.data && typeof e.data.error === 'string' ? e.data.error : '';
    if (!e || !(e instanceof ApiError)) return String(e && e.message ? e.message : e);
    if (e.status === 0) return t('errNetwork');
    if (e.status === 403) return t('errForbidden') + (said ? ` (${said})` : '');
    if (e.status === 413) return t('errTooBig');
    if (said) return said;
    if (e.status === 404) return t('errNotFound');
    return t('errOther', { status: e.status });
  }

  /* Writes run one at a time, in the order the clerk made them. */
  let writeChain = Promise.resolve();
  function queueWrite(fn) {
    const run = writeChain.then(fn);
    writeChain = run.catch(() => {});
    return run;
  }

  /* ---- 4. Vietnamese numbers ------------------------------------------ */
  /* As storage/vnum.c: '.' groups thousands (1.460), ',' is the decimal
   * mark (636,4), an optional '-' and '%'.  Exact: units / 10^scale with
   * BigInt units, never floats; ratios rounded half away from zero. */

  const INT64_MAX = 9223372036854775807n;
  const VN_WS = /^[ \t\r\n]+|[ \t\r\n]+$/g;
  const VN_RE = /^(-?)(0|[1-9][0-9]*|[1-9][0-9]{0,2}(?:\.[0-9]{3})+)(?:,([0-9]{1,6}))?(%?)$/;
  const pow10 = (k) => 10n ** BigInt(k);

  /* {units, scale, percent}, or null for anything that is not a number. */
  function parseVn(s) {
    if (typeof s !== 'string') return null;
    const m = VN_RE.exec(s.replace(VN_WS, ''));
    if (!m) return null;
    let units = BigInt(m[2].replace(/\./g, '') + (m[3] || ''));
    if (units > INT64_MAX) return null;
    if (m[1] && units !== 0n) units = -units;
    return { units, scale: m[3] ? m[3].length : 0, percent: m[4] === '%' };
  }

  function formatVn(v) {
    const neg = v.units < 0n;
    let digits = (neg ? -v.units : v.units).toString();
    if (v.scale > 0) digits = digits.padStart(v.scale + 1, '0');
    const int = v.scale > 0 ? digits.slice(0, -v.scale) : digits;
    const frac = v.scale > 0 ? digits.slice(-v.scale) : '';
    return (neg ? '-' : '') + int.replace(/\B(?=(\d{3})+(?!\d))/g, '.') + (frac ? ',' + frac : '') + (v.percent ? '%' : '');
  }

  /* num / den * 100 at `decimals` places, half away from zero; null when
   * den is zero or the result is too large (as xa_vnum_ratio). */
  function ratioVn(num, den, decimals) {
    if (!num || !den || den.units === 0n) return null;
    const an = num.units < 0n ? -num.units : num.units;
    const ad = den.units < 0n ? -den.units : den.units;
    const n = an * pow10(den.scale + 2 + decimals);
    const d = ad * pow10(num.scale);
    let q = n / d;
    const r = n % d;
    if (r >= d - r) q += 1n;
    if (q > INT64_MAX) return null;
    const neg = (num.units < 0n) !== (den.units < 0n);
    return { units: neg ? -q : q, scale: decimals, percent: false };
  }

  /* a - b exactly at the larger scale; '%' kept when both have it. */
  function subVn(a, b) {
    const s = Math.max(a.scale, b.scale);
    const u = a.units * pow10(s - a.scale) - b.units * pow10(s - b.scale);
    if (u > INT64_MAX || u < -INT64_MAX) return null;
    return { units: u, scale: s, percent: a.percent && b.percent };
  }

  /* The three derived columns of a row, as storage/report_check.c computes
   * them: est/prev*100 and est/plan*100 at 1 decimal, plan-est (blank when
   * negative); blank for a group row (TT I, II, ...) or missing figures. */
  function deriveRow(tt, prev, plan, est) {
    const out = { vs_prev: '', vs_plan: '', remain: '' };
    if (isRoman(tt)) return out;
    const p = parseVn(prev), pl = parseVn(plan), e = parseVn(est);
    const a = e && p ? ratioVn(e, p, 1) : null;
    const b = e && pl ? ratioVn(e, pl, 1) : null;
    const c = e && pl ? subVn(pl, e) : null;
    if (a) out.vs_prev = formatVn(a);
    if (b) out.vs_plan = formatVn(b);
    if (c && c.units >= 0n) out.remain = formatVn(c);
    return out;
  }

  /* ---- 5. times ------------------------------------------------------- */

  const p2 = (n) => String(n).padStart(2, '0');
  function toDate(x) {
    if (x == null || x === '') return null;
    const d = new Date(x);
    return isNaN(d.getTime()) ? null : d;
  }
  const timeMs = (x) => (toDate(x) ? toDate(x).getTime() : 0);

  /* "10:42" today, "10:42 05/07" another day. */
  function clock(x) {
    const d = toDate(x);
    if (!d) return str(x);
    const hm = `${p2(d.getHours())}:${p2(d.getMinutes())}`;
    return d.toDateString() === new Date().toDateString() ? hm : `${hm} ${p2(d.getDate())}/${p2(d.getMonth() + 1)}`;
  }

  /* "10:42 05/07/2024" */
  function dateTime(x) {
    const d = toDate(x);
    if (!d) return str(x);
    return `${p2(d.getHours())}:${p2(d.getMinutes())} ${p2(d.getDate())}/${p2(d.getMonth() + 1)}/${d.getFullYear()}`;
  }

  /* ---- 6. sync badge (GET /api/status every 5 s) ---------------------- */

  const groupInt = (n) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, S.lang === 'vi' ? '.' : ',');

  /* {state: sent|waiting|offline|noremote, text, tip} */
  function badgeInfo(s) {
    if (!s || typeof s !== 'object') return { state: 'offline', text: t('badgeLocalDown'), tip: t('errNetwork') };
    const n = Math.max(0, Number(s.pending) || 0);
    const tip = [];
    if (s.remote) tip.push(t('tipRemote', { r: s.remote }));
    tip.push(t('tipPending', { n: groupInt(n) }));
    tip.push(s.last_success ? t('tipLast', { t: dateTime(s.last_success) }) : t('tipNever'));
    if (s.last_error) tip.push(t('tipError', { e: s.last_error }));
    if (s.daemon === false) tip.push(t('tipNoDaemon'));
    const info = (state, text) => ({ state, text, tip: tip.join('\n') });
    if (s.remote == null || s.remote === '') return info('noremote', t('badgeNoRemote'));
    if (s.failing_since) {
      const since = clock(s.failing_since);
      const next = toDate(s.next_try);
      if (!next) return info('offline', t('badgeOfflineNoTry', { t: since }));
      const ms = next.getTime() - Date.now();
      if (ms < 60000) return info('offline', t('badgeOfflineSoon', { t: since }));
      return info('offline', t('badgeOffline', { t: since, x: Math.round(ms / 60000) }));
    }
    if (n > 0) return info('waiting', t(n === 1 ? 'badgeWaiting1' : 'badgeWaitingN', { n: groupInt(n) }));
    if (s.last_success) return info('sent', t('badgeSent', { t: clock(s.last_success) }));
    return info('sent', t('badgeNothing'));
  }

  function renderBadge() {
    const el = $('#sync-badge');
    if (S.status === null && !S.statusFailed) return; // not asked yet
    const b = badgeInfo(S.statusFailed ? null : S.status);
    el.dataset.state = b.state;
    const text = el.querySelector('.badge-text');
    text.removeAttribute('data-i18n');
    if (text.textContent !== b.text) text.textContent = b.text;
    /* the words first: the bar may show them cut short */
    el.title = b.tip ? `${b.text}\n${b.tip}` : b.text;
    renderExchange();
  }

  async function pollStatus() {
    try {
      const s = await api('GET', '/api/status');
      S.status = s && typeof s === 'object' ? s : {};
      S.statusFailed = false;
      if (S.listFailed) loadReports();
    } catch (e) {
      S.statusFailed = true;
    }
    renderBadge();
    setTimeout(pollStatus, 5000);
  }

  /* Live updates: GET /api/changes twice a second.  When the change counter
   * moves (an `xasync apply` from a USB stick, a sync, another editor), the
   * report is loaded again, keeping what the clerk is typing (render()).
   * Not while a write of this page is on its way (it loads the report
   * itself), nor while an input method is composing a word.  The answer is
   * a few bytes (one small query), so asking twice a second costs nothing. */
  const LIVE_MS = 500;
  async function pollChanges() {
    try {
      const c = await api('GET', '/api/changes');
      const v = c && typeof c.version === 'string' ? c.version : null;
      if (v && S.version !== null && v !== S.version && S.pendingWrites === 0 && !S.composing) {
        if (!S.report) await loadReports();
        else {
          await refreshList();
          await loadReport();
        }
      } else if (v && S.version === null && !S.report) S.version = v;
    } catch (e) { /* the badge tells when the editor cannot be reached */ }
    setTimeout(pollChanges, LIVE_MS);
  }

  /* The list of reports again (an apply may bring a new one); the shown
   * report stays. */
  async function refreshList() {
    try {
      const data = await api('GET', '/api/reports');
      const list = (data && Array.isArray(data.reports) ? data.reports : []).filter((r) => r && typeof r.id === 'string');
      if (JSON.stringify(list) !== JSON.stringify(S.reports)) {
        S.reports = list;
        renderPicker();
      }
    } catch (e) { /* kept as it was */ }
  }

  /* ---- 7. banner and "saved" ------------------------------------------ */

  function showBanner(msg, kind = 'error') {
    $('#banner-text').textContent = msg;
    $('#banner').dataset.kind = kind;
    $('#banner').hidden = false;
    S.bannerKind = kind;
  }
  function hideBanner() {
    $('#banner').hidden = true;
    S.bannerKind = null;
  }
  function showError(prefix, e) {
    showBanner(`${prefix}: ${errText(e)}`, e instanceof ApiError && e.status === 0 ? 'network' : 'error');
  }

  let savedTimer = 0;
  function showSaved() {
    const el = $('#saved');
    el.textContent = t('saved');
    el.classList.add('show');
    clearTimeout(savedTimer);
    savedTimer = setTimeout(() => el.classList.remove('show'), 2500);
  }

  /* ---- 8. loading and re-rendering ------------------------------------ */

  async function loadReports() {
    let data;
    try {
      data = await api('GET', '/api/reports');
    } catch (e) {
      S.listFailed = true;
      showError(t('errList'), e);
      main.replaceChildren(h('p', { class: 'muted' }, t('errList')));
      return;
    }
    S.listFailed = false;
    S.reports = (data && Array.isArray(data.reports) ? data.reports : []).filter((r) => r && typeof r.id === 'string');
    renderPicker();
    if (!S.reports.length) {
      await renderStart();
      return;
    }
    /* the report chosen last in this browser, else the first */
    let last = null;
    try { last = localStorage.getItem('xasync.report'); } catch (e) { last = null; }
    S.reportId = (S.reports.find((r) => r.id === last) || S.reports[0]).id;
    $('#report-picker').value = S.reportId;
    await loadReport({ top: true });
  }

  function renderPicker() {
    const sel = $('#report-picker');
    sel.replaceChildren(...S.reports.map((r) => {
      const title = str(r.title) || r.id;
      const label = (title.length > 80 ? title.slice(0, 78) + '…' : title) + (r.period ? ` — ${str(r.period)}` : '');
      return h('option', { value: r.id, title }, label);
    }));
    sel.disabled = S.reports.length === 0;
    if (S.reportId) sel.value = S.reportId;
  }

  /* Load the report and render it; answers that come back out of order
   * are dropped. */
  async function loadReport(opts = {}) {
    if (!S.reportId) return;
    const seq = ++S.loadSeq;
    let data;
    try {
      data = await api('GET', '/api/report?report=' + encodeURIComponent(S.reportId));
    } catch (e) {
      if (seq === S.loadSeq) showError(t('errLoad'), e);
      return;
    }
    if (seq !== S.loadSeq) return;
    if (!data || typeof data !== 'object' || !data.header || !Array.isArray(data.blocks)) {
      showBanner(t('errBadReport'));
      return;
    }
    S.report = data;
    if (typeof data.version === 'string') S.version = data.version;
    render(opts);
    renderExchange();
  }

  const BLOCK_STR = ['id', 'kind', 'pos', 'text', 'num', 'marker', 'tt', 'name', 'unit', 'prev', 'plan', 'est',
    'vs_prev', 'vs_plan', 'remain', 'note', 'table', 'break', 'entity'];
  const HEADER_NAMES = ['kind', 'period', 'number', 'place', 'date', 'doctype', 'title', 'body',
    'signer_role', 'signer_name', 'recipients_label', 'recipients'];

  /* Normalise the answer (every member a string) and index it. */
  function indexReport() {
    const r = S.report;
    r.id = str(r.id) || S.reportId;
    S.header = {};
    for (const k of HEADER_NAMES) {
      const v = r.header[k];
      S.header[k] = Array.isArray(v) ? v.map(str).join('\n') : str(v);
    }
    S.byEntity = new Map();
    S.byId = new Map();
    const blocks = [];
    for (const raw of r.blocks) {
      if (!raw || typeof raw !== 'object') continue;
      const b = Object.assign({}, raw);
      for (const k of BLOCK_STR) b[k] = str(raw[k]);
      b.deleted = raw.deleted === true || raw.deleted === '1';
      b.conflict = raw.conflict === true;
      blocks.push(b);
      S.byEntity.set(entOf(b), b);
      S.byId.set(b.id, b);
    }
    S.live = blocks.filter((b) => !b.deleted);
    const tables = new Set(S.live.filter((b) => b.kind === 'table').map((b) => b.id));
    S.display = [];
    S.rowsByTable = new Map();
    S.orphans = [];
    for (const b of S.live) {
      if (b.kind !== 'row') S.display.push(b);
      else if (tables.has(b.table)) {
        if (!S.rowsByTable.has(b.table)) S.rowsByTable.set(b.table, []);
        S.rowsByTable.get(b.table).push(b);
      } else S.orphans.push(b);
    }
    /* fields in conflict: {"ENTITY FIELD": {conflict, values}} */
    S.conflicts = new Map();
    S.conflictFields = new Map();
    const fields = r.fields && typeof r.fields === 'object' ? r.fields : {};
    for (const [key, v] of Object.entries(fields)) {
      const i = key.lastIndexOf(' ');
      const values = v && Array.isArray(v.values) ? v.values : [];
      if (i <= 0 || !(v && (v.conflict === true || values.length > 1))) continue;
      const entity = key.slice(0, i), field = key.slice(i + 1);
      S.conflicts.set(fkey(entity, field), { values });
      if (!S.conflictFields.has(entity)) S.conflictFields.set(entity, []);
      S.conflictFields.get(entity).push(field);
    }
    indexFindings();
  }

  /* Findings name "ind/TT", "ind/TT/col" or "b/ID".  A TT such as "-" is
   * shared by several rows: findings come in the report's order, so each is
   * matched from the row the previous one matched onwards. */
  function indexFindings() {
    S.findings = new Map();
    S.findingCols = new Map();
    S.unmatched = [];
    const list = Array.isArray(S.report.findings) ? S.report.findings : [];
    let cursor = 0;
    for (const f of list) {
      if (!f || typeof f !== 'object') continue;
      const where = str(f.where);
      let target = null, col = null, m;
      if ((m = /^ind\/([^/]+)(?:\/(.+))?$/.exec(where))) {
        const tt = m[1];
        col = m[2] || null;
        const match = (b) => b.kind === 'row' && (b.tt === tt || (!b.tt && b.id === tt));
        let i = S.live.findIndex((b, j) => j >= cursor && match(b));
        if (i < 0) i = S.live.findIndex(match);
        if (i >= 0) {
          target = S.live[i];
          cursor = i;
        }
      } else if ((m = /^b\/([^/#]+)/.exec(where))) {
        const b = S.byId.get(m[1]);
        if (b && !b.deleted) target = b;
      }
      if (!target) {
        S.unmatched.push(f);
        continue;
      }
      const k = entOf(target);
      if (!S.findings.has(k)) S.findings.set(k, []);
      S.findings.get(k).push(f);
      if (col) {
        if (!S.findingCols.has(k)) S.findingCols.set(k, new Set());
        S.findingCols.get(k).add(col);
      }
    }
  }

  /* The value a field holds in the loaded report (undefined: no such field). */
  function currentValue(entity, field) {
    if (entity === S.report.id) return HEADER_NAMES.includes(field) ? S.header[field] : undefined;
    const b = S.byEntity.get(entity);
    return b && !b.deleted ? str(b[field]) : undefined;
  }

  /* What to keep across a re-render: focus, selection, what is being
   * typed, and the block at the top of the screen. */
  function capture() {
    const c = { focus: null, sel: null, anchor: null, dirty: [], scrollY: window.scrollY };
    const active = document.activeElement;
    const inMain = active && active !== main && main.contains(active);
    if (inMain) {
      c.focus = focusKeyOf(active);
      if (typeof active.selectionStart === 'number') c.sel = [active.selectionStart, active.selectionEnd];
    }
    for (const el of main.querySelectorAll('.fld-input')) {
      const k = fkey(el.dataset.entity, el.dataset.field);
      if (S.shown.has(k) && el.value !== S.shown.get(k)) {
        c.dirty.push({ k, entity: el.dataset.entity, field: el.dataset.field, typed: el.value, old: S.shown.get(k) });
      }
    }
    const topH = $('#topbar').offsetHeight;
    let anchor = inMain ? active.closest('[data-key]:not(.blk-table)') : null;
    if (anchor) {
      const r = anchor.getBoundingClientRect();
      if (r.bottom < topH || r.top > window.innerHeight) anchor = null;
    }
    if (!anchor) {
      for (const el of main.querySelectorAll('[data-key]:not(.blk-table)')) {
        if (el.getBoundingClientRect().bottom > topH) {
          anchor = el;
          break;
        }
      }
    }
    if (anchor) c.anchor = { key: anchor.dataset.key, top: anchor.getBoundingClientRect().top };
    return c;
  }

  /* Render the whole report again (opts.top: a new report, start at the top). */
  function render(opts = {}) {
    const keep = opts.top || !S.shown.size ? null : capture();
    indexReport();
    /* what the clerk was typing: kept if the field did not change under
     * it, else shown as "changed on another computer" */
    S.restoreTyped = new Map();
    if (keep) {
      for (const d of keep.dirty) {
        const now = currentValue(d.entity, d.field);
        if (now === undefined || now === d.typed) continue;
        if (!S.conflicts.has(d.k) && (now === d.old || S.inflight.has(d.k))) S.restoreTyped.set(d.k, d.typed);
        else S.notices.set(d.k, { typed: d.typed, who: '' });
      }
    }
    S.shown = new Map();
    const content = buildMain();
    S.rendering = true;
    try {
      main.replaceChildren(content);
    } finally {
      S.rendering = false;
    }
    renderOutline();
    autosizeAll();
    restoreView(keep);
    document.title = `${S.header.title || S.report.id} — xasync`;
  }

  function restoreView(keep) {
    const fromAction = S.focusAfter;
    S.focusAfter = null;
    const fk = fromAction || (keep && keep.focus);
    const target = fk ? findByFocusKey(fk) : null;
    if (target) {
      target.focus({ preventScroll: true });
      if (!fromAction && keep && keep.sel && typeof target.setSelectionRange === 'function') {
        try {
          target.setSelectionRange(keep.sel[0], keep.sel[1]);
        } catch (e) { /* not a text field */ }
      }
    }
    if (!keep) window.scrollTo(0, 0);
    else if (keep.anchor) {
      const el = main.querySelector(`[data-key="${esc(keep.anchor.key)}"]`);
      if (el) window.scrollBy(0, el.getBoundingClientRect().top - keep.anchor.top);
      else window.scrollTo(0, keep.scrollY);
    } else window.scrollTo(0, keep.scrollY);
    if (fromAction && target) {
      const r = target.getBoundingClientRect();
      if (r.top < $('#topbar').offsetHeight || r.bottom > window.innerHeight) target.scrollIntoView({ block: 'center' });
    }
  }

  /* A string naming a focusable element that survives a re-render. */
  function focusKeyOf(el) {
    if (el.matches('.fld-input')) return ['f', el.dataset.entity, el.dataset.field].join(SEP);
    const box = el.closest('.conflict');
    if (box) return ['c', box.dataset.entity, box.dataset.field, el.dataset.action || el.className, el.dataset.index || ''].join(SEP);
    const holder = el.closest('[data-key]');
    if (el.dataset.action && holder) return ['a', holder.dataset.key, el.dataset.action].join(SEP);
    return el.id ? ['i', el.id].join(SEP) : null;
  }

  function findByFocusKey(k) {
    const p = k.split(SEP);
    if (p[0] === 'f') return main.querySelector(`.fld-input[data-entity="${esc(p[1])}"][data-field="${esc(p[2])}"]`);
    if (p[0] === 'c') {
      const box = main.querySelector(`.conflict[data-entity="${esc(p[1])}"][data-field="${esc(p[2])}"]`);
      if (!box) return findByFocusKey(['f', p[1], p[2]].join(SEP));
      return [...box.querySelectorAll('button, textarea')].find((x) => (x.dataset.action || x.className) === p[3] && (x.dataset.index || '') === p[4] && !x.closest('[hidden]')) || box.querySelector('button');
    }
    if (p[0] === 'a') {
      const holder = main.querySelector(`[data-key="${esc(p[1])}"]`);
      if (!holder) return null;
      return holder.querySelector(`[data-action="${esc(p[2])}"]:not([disabled])`) || holder.querySelector('.fld-input, .tool:not([disabled])');
    }
    return p[0] === 'i' ? document.getElementById(p[1]) : null;
  }

  /* Textareas grow with their text (CSS field-sizing where supported). */
  function autosizeAll() {
    if (FIELD_SIZING) return;
    const y = window.scrollY;
    const list = [...main.querySelectorAll('textarea')];
    for (const el of list) el.style.height = 'auto';
    const heights = list.map((el) => el.scrollHeight);
    list.forEach((el, i) => { el.style.height = heights[i] + 2 + 'px'; });
    if (window.scrollY !== y) window.scrollTo(window.scrollX, y);
  }
  function autosize(el) {
    if (FIELD_SIZING || el.tagName !== 'TEXTAREA') return;
    const y = window.scrollY;
    el.style.height = 'auto';
    el.style.height = el.scrollHeight + 2 + 'px';
    if (window.scrollY !== y) window.scrollTo(window.scrollX, y);
  }

  /* ---- 9. rendering --------------------------------------------------- */

  const HEADER_FIELDS = [ // [field, label, options]
    ['body', 'fBody', { multiline: true }],
    ['number', 'fNumber'],
    ['place', 'fPlace'],
    ['date', 'fDate'],
    ['doctype', 'fDoctype'],
    ['title', 'fTitle', { area: true, wide: true }],
    ['signer_role', 'fSignerRole', { multiline: true }],
    ['signer_name', 'fSignerName'],
    ['recipients', 'fRecipients', { multiline: true, wide: true }],
  ];
  const ROW_COLS = [ // [field, label, kind]
    ['tt', 'colTT', 'input'], ['name', 'colName', 'area'], ['unit', 'colUnit', 'input'],
    ['prev', 'colPrev', 'number'], ['plan', 'colPlan', 'number'], ['est', 'colEst', 'number'],
    ['vs_prev', 'colVsPrev', 'derived'], ['vs_plan', 'colVsPlan', 'derived'], ['remain', 'colRemain', 'derived'],
    ['note', 'colNote', 'area'],
  ];
  const FIELD_LABEL = {
    number: 'fNumber', place: 'fPlace', date: 'fDate', doctype: 'fDoctype', title: 'fTitle', body: 'fBody',
    signer_role: 'fSignerRole', signer_name: 'fSignerName', recipients: 'fRecipients', num: 'fNum',
    text: 'fText', marker: 'fMarker', pos: 'fPos', deleted: 'fDeleted', kind: 'fKind', table: 'fTable',
    tt: 'colTT', name: 'colName', unit: 'colUnit', prev: 'colPrev', plan: 'colPlan', est: 'colEst', note: 'colNote',
  };
  const fieldLabel = (f) => (FIELD_LABEL[f] ? t(FIELD_LABEL[f]) : f);
  const KIND_LABEL = { part: 'kPart', heading: 'kHeading', para: 'kPara', bullet: 'kBullet', table: 'kTable', row: 'kRow' };
  const kindName = (k) => t(KIND_LABEL[k] || 'kPara');

  /* "Đề mục 2.1." or "Dòng chỉ tiêu 4": how a block is named to the clerk. */
  function describe(b) {
    if (b.kind === 'row') return `${kindName('row')} ${b.tt || ''} ${b.name ? '— ' + b.name.slice(0, 40) : ''}`.trim();
    const text = b.text ? ' — ' + (b.text.length > 40 ? b.text.slice(0, 40) + '…' : b.text) : '';
    return `${kindName(b.kind)}${b.num ? ' ' + b.num : ''}${b.kind === 'table' ? '' : text}`;
  }

  /* Part 0; roman headings 1; "1." 2; "2.1." 3. */
  function headingLevel(b) {
    if (b.kind === 'part') return 0;
    const n = b.num.trim();
    if (/^[IVXLC]+\.?$/.test(n)) return 1;
    const m = /^\d+(?:\.\d+)*/.exec(n);
    return m ? Math.min(3, 1 + m[0].split('.').length) : 2;
  }

  function buildMain() {
    const frag = document.createDocumentFragment();
    if (S.conflicts.size) {
      frag.append(h('div', { class: 'summary conflict-summary', role: 'note' }, icon('warn'), ' ',
        t('conflictsSummary', { n: S.conflicts.size }), ' ', btn('goto-conflict', t('gotoFirst'), { id: 'goto-conflict' })));
    }
    if (S.unmatched.length) {
      frag.append(h('div', { class: 'summary findings-left' }, h('p', null, t('findingsLeft')),
        S.unmatched.map((f) => findingLine(f, t('findingAt', { where: str(f.where) })))));
    }
    const note = stateNote();
    if (note) frag.append(note);
    frag.append(renderHeader());
    const doc = h('div', { class: 'doc' });
    S.display.forEach((b, i) => doc.append(b.kind === 'table' ? renderTableBlock(b, i) : renderBlock(b, i)));
    if (S.orphans.length) {
      doc.append(h('section', { class: 'orphans' }, h('h2', { class: 'section-title' }, t('orphanRows')), indicatorTable(S.orphans)));
    }
    frag.append(doc);
    return frag;
  }

  /* An editable field: <input> or <textarea> carrying data-entity and
   * data-field; or, when it holds concurrent values, the conflict box. */
  function field(entity, name, value, o = {}) {
    const k = fkey(entity, name);
    const c = S.conflicts.get(k);
    if (c) return conflictBox(entity, name, c);
    S.shown.set(k, value);
    const area = o.area || o.multiline;
    const el = h(area ? 'textarea' : 'input', {
      class: 'fld-input' + (o.cls ? ' ' + o.cls : ''),
      type: area ? null : 'text',
      rows: area ? 1 : null,
      id: o.id,
      'data-entity': entity,
      'data-field': name,
      'data-multiline': o.multiline ? '1' : null,
      'data-numeric': o.numeric ? '1' : null,
      'aria-label': o.label,
      placeholder: o.placeholder,
      size: o.size,
      spellcheck: 'false',
      autocomplete: 'off',
    });
    const typed = S.restoreTyped.get(k);
    el.value = typed !== undefined ? typed : value;
    if (typed !== undefined) el.classList.add('dirty');
    if (o.numeric) checkNumber(el);
    return el;
  }

  /* Both (or all) values of a field in conflict, with author and time, and
   * the buttons "keep this value" and "write a new value". */
  function conflictBox(entity, name, c) {
    const k = fkey(entity, name);
    const notice = S.notices.get(k);
    const box = h('div', { class: 'conflict', 'data-entity': entity, 'data-field': name, role: 'group', 'aria-label': t('conflictTitle', { field: fieldLabel(name) }) });
    box.append(h('p', { class: 'conflict-title' }, icon('warn'), ' ', t('conflictTitle', { field: fieldLabel(name) })));
    box.append(h('div', { class: 'conflict-values' }, c.values.map((v, i) => h('div', { class: 'cv' },
      h('div', { class: 'cv-value' }, str(v && v.value) || t('empty')),
      h('div', { class: 'cv-meta' }, t('by', { author: str(v && v.author) || '?', time: dateTime(v && v.time) })),
      btn('keep', t('keep'), { 'data-index': i, class: 'btn btn-small btn-primary' })))));
    const input = h('textarea', { class: 'resolve-input', rows: 2, spellcheck: 'false', 'aria-label': `${t('writeNew')}: ${fieldLabel(name)}` });
    /* empty: what the clerk types is the whole new value (only her own
     * typing, overtaken by the conflict, is offered back) */
    input.value = notice ? notice.typed : '';
    box.append(h('div', { class: 'conflict-actions' }, btn('write-new', t('writeNew'))),
      h('div', { class: 'write-new', hidden: true }, input, h('div', { class: 'row-buttons' },
        btn('resolve-save', t('save'), { class: 'btn btn-small btn-primary' }), btn('resolve-cancel', t('cancel')))));
    if (notice) box.append(h('p', { class: 'notice' }, t('nowConflict'), ' ', t('youTyped'), ' ', h('q', null, notice.typed || t('empty'))));
    return box;
  }

  /* "Changed on another computer" under a field, with the clerk's text. */
  function noticeEl(entity, name, withLabel) {
    const k = fkey(entity, name);
    const n = S.notices.get(k);
    if (!n || S.conflicts.has(k)) return null;
    return h('div', { class: 'notice', role: 'status' },
      withLabel ? h('b', null, fieldLabel(name) + ': ') : null,
      h('strong', null, t('changedElsewhere')), n.who ? ` (${n.who})` : '', '. ',
      t('youTyped'), ' ', h('q', null, n.typed || t('empty')), ' ',
      btn('use-mine', t('useMine'), { 'data-nentity': entity, 'data-nfield': name }), ' ',
      btn('dismiss-notice', t('dismiss'), { 'data-nentity': entity, 'data-nfield': name }));
  }

  function findingLine(f, prefix) {
    const text = S.lang === 'en' ? str(f.en) || str(f.vi) : str(f.vi) || str(f.en);
    const fix = f.fix && typeof f.fix === 'object' && typeof f.id === 'string' ? f.fix : null;
    let btn = null;
    if (fix) {
      /* the computed fix, applied as an ordinary edit (POST /api/fix) */
      const v = str(fix.value);
      btn = h('button', { type: 'button', class: 'fix-btn', 'data-fix': f.id },
        t('fixIt', { v: v.length > 40 ? v.slice(0, 40) + '…' : v }));
      btn.addEventListener('click', () => write(async () => {
        const r = await api('POST', '/api/fix', { report: S.reportId, id: f.id });
        /* undone like a save: the value it replaced written back */
        if (r && typeof r.entity === 'string' && typeof r.field === 'string' && typeof r.value === 'string') {
          pushUndo({ entity: r.entity, field: r.field, before: typeof r.before === 'string' ? r.before : '', after: r.value });
        }
      }, 'errFix'));
    }
    return h('div', { class: 'finding', role: 'note', 'data-where': str(f.where) }, icon('warn'), ' ', prefix || '', text, btn ? ' ' : '', btn);
  }

  /* A warning icon whose tooltip holds the findings of an entity. */
  function findingIcon(entity) {
    const list = S.findings.get(entity);
    if (!list) return null;
    const el = icon('warn', 'finding-icon');
    el.title = list.map((f) => (S.lang === 'en' ? str(f.en) || str(f.vi) : str(f.vi) || str(f.en))).join('\n');
    return el;
  }

  /* Under a block or row: its findings, conflicts of fields not shown in
   * place, notices ('none', 'plain' or 'labelled': with the field's name),
   * and a note when it is marked in conflict with no field listed. */
  function extras(entity, inPlace, b, notices) {
    const out = [];
    for (const f of S.findings.get(entity) || []) out.push(findingLine(f));
    for (const name of S.conflictFields.get(entity) || []) {
      if (!inPlace.includes(name)) out.push(conflictBox(entity, name, S.conflicts.get(fkey(entity, name))));
    }
    if (notices !== 'none') for (const name of inPlace) out.push(noticeEl(entity, name, notices === 'labelled'));
    if (b && b.conflict && !S.conflictFields.has(entity)) out.push(h('p', { class: 'conflict-note' }, icon('warn'), ' ', t('conflictBlock')));
    return out.filter(Boolean);
  }

  /* A toolbar of small icon buttons: one tab stop, arrow keys move inside. */
  /* Its tab stop is the history button: Tab from a field then Enter
   * never adds a block or row (they are reached with the arrow keys). */
  function toolbar(items, what) {
    const bar = h('div', { class: 'tools', role: 'toolbar', 'aria-label': t('tools', { what }) });
    let stop = null;
    for (const [action, key, ico, disabled] of items) {
      const b = h('button', { type: 'button', class: 'tool', 'data-action': action, title: t(key), 'aria-label': t(key), disabled: !!disabled, tabindex: -1 });
      b.innerHTML = ICON[ico];
      if (!disabled && (!stop || (action === 'history' && stop.dataset.action !== 'history'))) stop = b;
      bar.append(b);
    }
    if (stop) stop.tabIndex = 0;
    return bar;
  }

  function blockTools(b, i, what) {
    return toolbar([
      ['add-para', 'aAddPara', 'para'],
      ['add-bullet', 'aAddBullet', 'bullet'],
      ['move-up', 'aMoveUp', 'up', i <= 0],
      ['move-down', 'aMoveDown', 'down', i >= S.display.length - 1],
      ['history', 'aHistory', 'clock'],
      ['delete', 'aDelete', 'trash'],
    ], what);
  }

  function renderHeader() {
    const id = S.report.id;
    const sec = h('section', { class: 'doc-header', id: 'doc-header', 'data-key': 'header:' + id, 'aria-labelledby': 'doc-header-title' });
    sec.append(h('div', { class: 'blk-main' }, h('h2', { id: 'doc-header-title', class: 'section-title' }, t('headerTitle')),
      toolbar([['history', 'aHistory', 'clock']], t('headerTitle'))));
    const grid = h('div', { class: 'header-grid' });
    for (const [name, key, o = {}] of HEADER_FIELDS) {
      const inConflict = S.conflicts.has(fkey(id, name));
      const fid = 'hf-' + name;
      grid.append(h('div', { class: 'hf' + (o.wide || inConflict ? ' wide' : '') },
        inConflict ? h('span', { class: 'fld-label' }, t(key)) : h('label', { class: 'fld-label', for: fid }, t(key)),
        field(id, name, S.header[name], { id: fid, area: o.area, multiline: o.multiline, cls: 'doc-text' }),
        o.multiline && !inConflict ? h('div', { class: 'hint' }, t('multiHint')) : null,
        noticeEl(id, name, false)));
    }
    sec.append(grid, ...extras(id, HEADER_FIELDS.map((x) => x[0]), { conflict: S.report.header.conflict === true }, 'none'));
    return sec;
  }

  function renderBlock(b, i) {
    const entity = entOf(b);
    const kind = TEXT_KINDS.includes(b.kind) ? b.kind : 'para';
    const sec = h('section', {
      class: `blk blk-${kind}` + (b.conflict ? ' has-conflict' : ''), id: 'blk-' + b.id,
      'data-key': entity, 'data-kind': kind, 'data-block': b.id,
      'data-level': kind === 'heading' || kind === 'part' ? headingLevel(b) : null,
    });
    const what = describe(b);
    const body = h('div', { class: 'blk-body' });
    const inPlace = [];
    if (kind === 'part' || kind === 'heading') {
      /* the importer splits "Phần thứ nhất" and its title into two parts:
       * a part shows only its non-empty field (text when both are empty) */
      const num = kind === 'heading' || b.num !== '' || S.conflicts.has(fkey(entity, 'num'));
      const text = kind === 'heading' || b.text !== '' || !num || S.conflicts.has(fkey(entity, 'text'));
      if (num) body.append(field(entity, 'num', b.num, { cls: 'num-input doc-text', label: `${what} — ${t('fNum')}`, size: Math.max(3, b.num.length + 1) }));
      if (text) body.append(field(entity, 'text', b.text, { area: true, cls: 'doc-text', label: what }));
      if (num) inPlace.push('num');
      if (text) inPlace.push('text');
    } else if (kind === 'bullet') {
      body.append(field(entity, 'marker', b.marker, { cls: 'marker-input doc-text', label: `${what} — ${t('fMarker')}`, placeholder: '-', size: 2 }),
        field(entity, 'text', b.text, { area: true, cls: 'doc-text', label: what }));
      inPlace.push('marker', 'text');
    } else {
      body.append(field(entity, 'text', b.text, { area: true, cls: 'doc-text', label: what }));
      inPlace.push('text');
    }
    sec.append(h('div', { class: 'blk-main' }, findingIcon(entity), body, blockTools(b, i, what)),
      ...extras(entity, inPlace, b, inPlace.length > 1 ? 'labelled' : 'plain'));
    return sec;
  }

  function renderTableBlock(b, i) {
    const entity = entOf(b);
    const sec = h('section', {
      class: 'blk blk-table' + (b.conflict ? ' has-conflict' : ''), id: 'blk-' + b.id,
      'data-key': entity, 'data-kind': 'table', 'data-block': b.id,
    });
    sec.append(h('div', { class: 'blk-main' }, findingIcon(entity), h('h3', { class: 'table-title' }, t('kTable')),
      blockTools(b, i, t('kTable'))), ...extras(entity, [], b, 'none'), indicatorTable(S.rowsByTable.get(b.id) || []));
    return sec;
  }

  /* The indicator table: fixed columns, one <tr class="row"> per row and,
   * when needed, a <tr class="row-extra"> under it. */
  function indicatorTable(rows) {
    const table = h('table', { class: 'ind' },
      h('colgroup', null, ROW_COLS.map(([name]) => h('col', { class: 'col-' + name })), h('col', { class: 'col-actions' })),
      h('thead', null, h('tr', null, ROW_COLS.map(([name, key]) => h('th', { scope: 'col', class: 'h-' + name }, t(key))),
        h('th', { scope: 'col', class: 'h-actions' }, h('span', { class: 'sr-only' }, t('colActions'))))));
    const tbody = h('tbody');
    for (const r of rows) tbody.append(...renderRow(r));
    table.append(tbody);
    return table;
  }

  function renderRow(r) {
    const entity = entOf(r);
    const what = describe(r);
    const tr = h('tr', {
      class: 'row' + (isRoman(r.tt) ? ' group' : '') + (r.tt === '-' ? ' sub' : '') + (r.conflict ? ' has-conflict' : ''),
      id: 'blk-' + r.id, 'data-tt': r.tt, 'data-key': entity, 'data-block': r.id,
    });
    const cols = S.findingCols.get(entity);
    let restored = false;
    for (const [name, key, kind] of ROW_COLS) {
      const td = h('td', { class: `c-${name}` + (kind === 'number' || kind === 'derived' ? ' num' : '') + (cols && cols.has(name) ? ' has-finding' : '') });
      if (kind === 'derived') {
        td.classList.add('derived');
        td.dataset.derived = name;
        /* a printed value is not called computed: one the check flags
         * says what the figures give */
        const calc = deriveRow(r.tt, r.prev, r.plan, r.est)[name];
        td.title = cols && cols.has(name) ? t('printedTitle', { v: calc || '—' })
          : str(r[name]) === calc ? t('derivedTitle') : t('printedOkTitle');
        td.textContent = r[name];
      } else if (S.conflicts.has(fkey(entity, name))) {
        td.append(h('span', { class: 'conflict-mark', title: t('conflictMarkTitle') }, icon('warn'), ' ', t('conflictMark')));
      } else {
        const el = field(entity, name, r[name], { area: kind === 'area', numeric: kind === 'number', label: `${t(key)} — ${what}` });
        if (kind === 'number' && S.restoreTyped.has(fkey(entity, name))) restored = true;
        td.append(el);
      }
      if (name === 'tt') td.prepend(findingIcon(entity) || '');
      tr.append(td);
    }
    tr.append(h('td', { class: 'c-actions' }, toolbar([
      ['add-row', 'aAddRow', 'plus'],
      ['history', 'aHistory', 'clock'],
      ['delete-row', 'aDeleteRow', 'trash'],
    ], what)));
    if (restored) recomputeRow(tr);
    /* every field of a row in conflict gets its box below the row */
    const editable = ROW_COLS.filter((c) => c[2] !== 'derived').map((c) => c[0]);
    const more = extras(entity, editable.filter((n) => !S.conflicts.has(fkey(entity, n))), r, 'labelled');
    if (!more.length) return [tr];
    return [tr, h('tr', { class: 'row-extra', 'data-for': entity }, h('td', { colspan: ROW_COLS.length + 1 }, more))];
  }

  /* ---- 10. editing and saving ----------------------------------------- */

  /* What the server will say of a figure (report/vnum.c, xa_vnum_input):
   * the same refusals, shown as the clerk types; '' when it will be taken
   * (text is left to the server, which takes it in a text row). */
  function figureMsg(el) {
    const v = el.value.replace(/^ +| +$/g, '');
    if (/[\t\n\r]/.test(v)) return t('figTab');
    if (v === '') return '';
    let m = /^(-?)([1-9]\d{0,2}),(\d{3})(%?)$/.exec(v);
    if (m) return t('figAmbiguous', { v, a: `${m[1]}${m[2]}.${m[3]}`, b: `${m[1]}${m[2]},${m[3].replace(/0+$/, '')}`.replace(/,$/, '') });
    m = /^(-?\d+)\.(\d{1,2}|\d{4,6})(%?)$/.exec(v);
    if (m) return t('figEnglish', { v, a: `${m[1]},${m[2]}${m[3]}` });
    m = /^(-?\d{1,3}(?:,\d{3})+)\.(\d+)(%?)$/.exec(v);
    if (m) return t('figEnglish', { v, a: `${m[1].replace(/,/g, '.')},${m[2]}${m[3]}` });
    const n = parseVn(v);
    const tr = el.closest('tr.row');
    const unit = tr ? tr.querySelector('.fld-input[data-field="unit"]') : null;
    if (n && n.percent && !(unit && unit.value.trim() === '%')) return t('figPercent');
    if (n || /[^\d.,%\- ]/.test(v)) return '';
    return t('badNumber');
  }

  function checkNumber(el) {
    const msg = figureMsg(el);
    const bad = msg !== '';
    el.classList.toggle('bad-number', bad);
    if (bad) {
      el.setAttribute('aria-invalid', 'true');
      el.title = msg;
    } else {
      el.removeAttribute('aria-invalid');
      el.removeAttribute('title');
    }
  }

  /* The derived cells of a row follow what is typed in prev, plan, est;
   * with the figures as loaded they show what the report prints. */
  function recomputeRow(tr) {
    const b = S.byEntity.get(tr.dataset.key);
    if (!b) return;
    const get = (f) => {
      const el = tr.querySelector(`.fld-input[data-field="${f}"]`);
      return el ? { v: el.value, changed: el.value !== S.shown.get(fkey(el.dataset.entity, f)) } : { v: b[f], changed: false };
    };
    const tt = get('tt'), prev = get('prev'), plan = get('plan'), est = get('est');
    const changed = tt.changed || prev.changed || plan.changed || est.changed;
    const d = changed ? deriveRow(tt.v, prev.v, plan.v, est.v) : { vs_prev: b.vs_prev, vs_plan: b.vs_plan, remain: b.remain };
    for (const k of ['vs_prev', 'vs_plan', 'remain']) {
      const cell = tr.querySelector(`[data-derived="${k}"]`);
      if (cell && cell.textContent !== d[k]) cell.textContent = d[k];
      if (cell) cell.classList.toggle('live', changed);
      if (cell && changed) cell.title = t('derivedTitle');
    }
  }

  function markDirty(el) {
    const k = fkey(el.dataset.entity, el.dataset.field);
    el.classList.toggle('dirty', S.shown.has(k) && el.value !== S.shown.get(k));
  }

  function revert(el) {
    const k = fkey(el.dataset.entity, el.dataset.field);
    if (!S.shown.has(k)) return;
    el.value = S.shown.get(k);
    el.classList.remove('dirty');
    afterChange(el);
  }

  function afterChange(el) {
    autosize(el);
    if (el.dataset.numeric) checkNumber(el);
    const tr = el.closest('tr.row');
    if (tr && ['tt', 'prev', 'plan', 'est'].includes(el.dataset.field)) recomputeRow(tr);
  }

  /* POST /api/set.  A 409 that only says the page's `expect` was written
   * differently (null for a field that had none; a final newline) is
   * retried once with the value the server holds. */
  async function setField(entity, field, value, expect) {
    let exp = expect;
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const res = await api('POST', '/api/set', { entity, field, value, expect: exp });
        return { ok: true, value: res && typeof res.value === 'string' ? res.value : value };
      } catch (e) {
        if (!(e instanceof ApiError) || e.status !== 409) throw e;
        const cur = e.data && e.data.current; // null: the field holds nothing now
        const values = cur === null ? [] : cur && Array.isArray(cur.values) ? cur.values : null;
        if (!values || (cur && cur.conflict === true) || values.length > 1) return { ok: false, conflict: true };
        const now = values.length ? values[0].value : null;
        if (values.length && str(now) === value) return { ok: true }; // already holds it
        const norm = (x) => str(x).replace(/\n+$/, '');
        if (attempt === 0 && norm(now) === norm(exp) && now !== exp) {
          exp = values.length ? now : null;
          continue;
        }
        const v = values[0];
        return { ok: false, now: str(now), who: v ? [str(v.author), v.time ? clock(v.time) : ''].filter(Boolean).join(', ') : '' };
      }
    }
    return { ok: false, conflict: true };
  }

  const fieldElByKey = (k) => findByFocusKey('f' + SEP + k);

  /* Save a field if it differs from what the page showed. */
  function save(el) {
    if (S.rendering || !el.isConnected) return;
    const entity = el.dataset.entity, name = el.dataset.field, k = fkey(entity, name);
    if (!S.shown.has(k)) return;
    clearTimeout(S.autosave.get(k));
    S.autosave.delete(k);
    const value = el.value, expect = S.shown.get(k);
    if (value === expect) {
      el.classList.remove('dirty');
      return;
    }
    if (S.inflight.get(k) === value) return;
    S.inflight.set(k, value);
    el.classList.add('saving');
    S.pendingWrites++;
    queueWrite(async () => {
      let reload = true;
      try {
        const r = await setField(entity, name, value, expect);
        if (r.ok) {
          if (r.value !== undefined && r.value !== expect) pushUndo({ entity, field: name, before: expect, after: r.value });
          S.shown.set(k, value);
          S.notices.delete(k);
          const cur = fieldElByKey(k);
          if (cur) markDirty(cur);
          showSaved();
        } else if (r.conflict) {
          S.notices.set(k, { typed: value, who: '' });
          showBanner(t('nowConflict'), 'info');
        } else {
          /* show the new value; keep the clerk's text in the notice */
          const cur = fieldElByKey(k);
          S.notices.set(k, { typed: cur ? cur.value : value, who: r.who });
          S.shown.set(k, r.now);
          if (cur) {
            cur.value = r.now;
            cur.classList.remove('dirty');
            afterChange(cur);
          }
        }
      } catch (e) {
        reload = !(e instanceof ApiError && e.status === 0);
        showError(t('errSave'), e);
      } finally {
        S.inflight.delete(k);
        S.pendingWrites--;
        const cur = fieldElByKey(k);
        if (cur) cur.classList.remove('saving');
      }
      if (reload && S.pendingWrites === 0) await loadReport();
    });
  }

  /* A write other than a field (add, delete, move, resolve): queued, then
   * the report is loaded again. */
  function write(fn, errKey) {
    S.pendingWrites++;
    return queueWrite(async () => {
      let reload = true;
      try {
        await fn();
        showSaved();
      } catch (e) {
        reload = !(e instanceof ApiError && e.status === 0);
        S.focusAfter = null;
        showError(t(errKey), e);
      } finally {
        S.pendingWrites--;
      }
      if (reload) await loadReport();
    });
  }

  /* A single-line field never holds a line break typed or pasted in
   * (a value stored with one is left as it is until the clerk types). */
  function singleLine(el) {
    if (el.dataset.multiline === '1' || !/[\r\n]/.test(el.value)) return;
    const at = el.selectionStart;
    const before = el.value.slice(0, at).replace(/\r\n|[\r\n]/g, ' ');
    el.value = before + el.value.slice(at).replace(/\r\n|[\r\n]/g, ' ');
    el.setSelectionRange(before.length, before.length);
  }

  /* Typing is saved after AUTOSAVE_MS without a key (and on leaving the
   * field, Enter, Ctrl+Enter). */
  const AUTOSAVE_MS = 800;
  function autosaveSoon(el) {
    const k = fkey(el.dataset.entity, el.dataset.field);
    clearTimeout(S.autosave.get(k));
    S.autosave.set(k, setTimeout(() => {
      S.autosave.delete(k);
      const cur = fieldElByKey(k);
      /* a figure the server would refuse waits for the clerk */
      if (cur && cur.classList.contains('dirty') && cur.getAttribute('aria-invalid') !== 'true') save(cur);
    }, AUTOSAVE_MS));
  }

  /* Typing not yet saved, or a save on its way. */
  function unsaved() {
    if (S.pendingWrites > 0 || S.autosave.size > 0) return true;
    if (main.querySelector('.fld-input.dirty')) return true;
    return [...main.querySelectorAll('.write-new:not([hidden]) .resolve-input')].some((x) => x.value !== '');
  }

  function onInput(e) {
    const el = e.target;
    if (el.matches('.fld-input')) {
      singleLine(el);
      markDirty(el);
      afterChange(el);
      autosaveSoon(el);
    } else if (el.matches('.resolve-input')) autosize(el);
  }

  function onFocusOut(e) {
    if (e.target.matches && e.target.matches('.fld-input')) save(e.target);
  }

  /* The same field in the next (or previous) row of the table. */
  function rowNeighbour(tr, name, up) {
    let r = up ? tr.previousElementSibling : tr.nextElementSibling;
    while (r && !r.matches('tr.row')) r = up ? r.previousElementSibling : r.nextElementSibling;
    return r ? r.querySelector(`.fld-input[data-field="${esc(name)}"]`) : null;
  }

  function onKeyDown(e) {
    const el = e.target;
    if (e.isComposing || e.keyCode === 229) return; // an input method is composing
    if (el.matches('.fld-input')) {
      if (e.key === 'Escape') {
        e.preventDefault();
        revert(el);
      } else if (e.key === 'Enter') {
        /* a multi-line field takes Enter as a new line (Ctrl+Enter saves);
         * a single-line one never stores a line break: Enter goes down,
         * Shift+Enter up */
        const multi = el.dataset.multiline === '1';
        if (multi ? e.ctrlKey || e.metaKey : true) {
          e.preventDefault();
          const tr = el.closest('tr.row');
          const next = tr && rowNeighbour(tr, el.dataset.field, e.shiftKey);
          if (next) next.focus(); // leaving the field saves it
          else save(el);
        }
      }
      return;
    }
    if (el.matches('.resolve-input')) {
      if (e.key === 'Escape') {
        e.preventDefault();
        closeWriter(el.closest('.conflict'));
      } else if (e.key === 'Enter' && (e.ctrlKey || e.metaKey || !e.shiftKey)) {
        e.preventDefault();
        resolveFrom(el.closest('.conflict'), el.value);
      }
      return;
    }
    if (e.key === 'Escape' && el.closest('.confirm')) {
      e.preventDefault();
      cancelDelete(el);
      return;
    }
    const bar = el.closest('.tools');
    if (bar && !bar.classList.contains('confirming') && ['ArrowLeft', 'ArrowRight', 'Home', 'End'].includes(e.key)) {
      const list = [...bar.querySelectorAll('.tool:not([disabled])')];
      let i = list.indexOf(el);
      if (i < 0) return;
      e.preventDefault();
      if (e.key === 'ArrowLeft') i = (i - 1 + list.length) % list.length;
      else if (e.key === 'ArrowRight') i = (i + 1) % list.length;
      else i = e.key === 'Home' ? 0 : list.length - 1;
      list.forEach((b, j) => { b.tabIndex = j === i ? 0 : -1; });
      list[i].focus();
    }
  }

  /* ---- 11. block and row actions -------------------------------------- */

  function onClick(e) {
    const b0 = e.target.closest('button[data-action]');
    if (!b0 || b0.disabled || !main.contains(b0)) return;
    const action = b0.dataset.action;
    const holder = b0.closest('[data-key]');
    const block = holder ? S.byEntity.get(holder.dataset.key) : null;
    const box = b0.closest('.conflict');
    switch (action) {
      case 'add-para': return block && addAfter(block, 'para');
      case 'add-bullet': return block && addAfter(block, 'bullet');
      case 'add-row': return block && addAfter(block, 'row');
      case 'move-up': return block && move(block, -1);
      case 'move-down': return block && move(block, +1);
      case 'delete':
      case 'delete-row': return block && askDelete(b0, block);
      case 'confirm-delete': return block && doDelete(block);
      case 'cancel-delete': return cancelDelete(b0);
      case 'history':
        return block ? openHistory(entOf(block), block.kind, describe(block), b0)
          : openHistory(S.report.id, 'header', t('headerTitle'), b0);
      case 'keep': {
        const c = S.conflicts.get(fkey(box.dataset.entity, box.dataset.field));
        const v = c && c.values[Number(b0.dataset.index)];
        return v && resolve(box.dataset.entity, box.dataset.field, typeof v.value === 'string' ? v.value : str(v.value));
      }
      case 'write-new': {
        const w = box.querySelector('.write-new');
        w.hidden = false;
        const area = w.querySelector('.resolve-input');
        autosize(area);
        area.focus();
        return;
      }
      case 'resolve-save': return resolveFrom(box, box.querySelector('.resolve-input').value);
      case 'resolve-cancel': return closeWriter(box);
      case 'use-mine':
      case 'dismiss-notice': {
        const k = fkey(b0.dataset.nentity, b0.dataset.nfield);
        const n = S.notices.get(k);
        S.notices.delete(k);
        const el = fieldElByKey(k);
        b0.closest('.notice').remove();
        if (el && n && action === 'use-mine') {
          el.value = n.typed;
          markDirty(el);
          afterChange(el);
        }
        if (el) el.focus();
        return;
      }
      case 'goto-conflict': {
        const first = main.querySelector('.conflict');
        if (first) {
          first.scrollIntoView({ block: 'center' });
          const k = first.querySelector('button');
          if (k) k.focus({ preventScroll: true });
        }
      }
    }
  }

  function addAfter(b, kind) {
    const entity = entOf(b);
    return write(async () => {
      const cur = S.byEntity.get(entity);
      if (!cur) return;
      const res = await api('POST', '/api/add', { report: S.reportId, after: 'b/' + cur.id, kind, text: '' });
      if (res && typeof res.path === 'string') {
        S.focusAfter = ['f', `${S.report.id}/${res.path}`, kind === 'row' ? 'name' : 'text'].join(SEP);
      }
    }, 'errAdd');
  }

  /* Move a block one place among the blocks shown (rows are shown in their
   * table, wherever they sit): up goes after the block two places above
   * (null: first), down after the block below. */
  function move(b, dir) {
    const entity = entOf(b);
    S.focusAfter = ['a', entity, dir < 0 ? 'move-up' : 'move-down'].join(SEP);
    return write(async () => {
      const cur = S.byEntity.get(entity);
      const i = cur ? S.display.indexOf(cur) : -1;
      if (i < 0 || (dir < 0 && i === 0) || (dir > 0 && i >= S.display.length - 1)) return;
      const after = dir < 0 ? (i >= 2 ? 'b/' + S.display[i - 2].id : null) : 'b/' + S.display[i + 1].id;
      await api('POST', '/api/move', { report: S.reportId, path: 'b/' + cur.id, after });
    }, 'errMove');
  }

  function askDelete(button, b) {
    const bar = button.closest('.tools');
    if (!bar || bar.classList.contains('confirming')) return;
    bar.classList.add('confirming');
    const no = btn('cancel-delete', t('noKeep'));
    bar.append(h('span', { class: 'confirm', role: 'group' },
      h('span', { class: 'confirm-text' }, t(b.kind === 'row' ? 'confirmDeleteRow' : 'confirmDelete')), ' ',
      btn('confirm-delete', t('yesDelete'), { class: 'btn btn-small btn-danger' }), ' ', no));
    no.focus();
  }

  function cancelDelete(el) {
    const bar = el.closest('.tools');
    if (!bar) return;
    const c = bar.querySelector('.confirm');
    if (c) c.remove();
    bar.classList.remove('confirming');
    const d = bar.querySelector('[data-action="delete"], [data-action="delete-row"]');
    if (d) d.focus();
  }

  function doDelete(b) {
    /* focus goes to the neighbour below (or above) */
    const list = b.kind === 'row' ? S.rowsByTable.get(b.table) || S.orphans : S.display;
    const i = list.indexOf(b);
    const n = list[i + 1] || list[i - 1];
    if (n) S.focusAfter = ['a', entOf(n), b.kind === 'row' ? 'add-row' : 'add-para'].join(SEP);
    const entity = entOf(b), what = describe(b);
    return write(async () => {
      await api('POST', '/api/delete', { report: S.reportId, path: 'b/' + b.id });
      pushUndo({ entity, field: 'deleted', before: '', after: '1', what });
    }, 'errDelete');
  }

  /* ---- undo ---------------------------------------------------------- */

  /* A save of the clerk's: undoable, and what was undone cannot be redone
   * over it. */
  function pushUndo(u) {
    S.undo.push(Object.assign({ report: S.reportId }, u));
    if (S.undo.length > 200) S.undo.shift();
    S.redo = S.redo.filter((x) => x.report !== S.reportId);
    renderUndo();
  }

  const lastOf = (list) => {
    let i = list.length - 1;
    while (i >= 0 && list[i].report !== S.reportId) i--;
    return i;
  };

  /* Undo and redo are the same move: write u.before where u.after is,
   * then file the reverse move on the other list. */
  function replay(from, to, nothingKey) {
    const i = lastOf(from);
    if (i < 0) {
      showBanner(t(nothingKey), 'info');
      return;
    }
    const u = from.splice(i, 1)[0];
    renderUndo();
    S.focusAfter = u.field === 'deleted' ? null : ['f', u.entity, u.field].join(SEP);
    S.notices.delete(fkey(u.entity, u.field));
    return write(async () => {
      const r = await api('POST', '/api/set', { entity: u.entity, field: u.field, value: u.before, expect: u.after });
      const now = r && typeof r.value === 'string' ? r.value : u.before;
      to.push(Object.assign({}, u, { before: u.after, after: now }));
      renderUndo();
      /* shown at once (with its row's derived columns), not after the
       * report is loaded again; a field being typed in is left alone */
      const k = fkey(u.entity, u.field), cur = u.field === 'deleted' ? null : fieldElByKey(k);
      if (cur && !cur.classList.contains('dirty')) {
        cur.value = now;
        S.shown.set(k, now);
        afterChange(cur);
      }
    }, 'errUndo');
  }

  function renderUndo() {
    const b = $('#undo-btn');
    const last = S.undo.filter((u) => u.report === S.reportId).pop();
    $('#redo-btn').disabled = lastOf(S.redo) < 0;
    b.disabled = !last;
    if (!last) {
      b.title = t('undoTitle');
      return;
    }
    const what = last.field === 'deleted' ? t('undoDelete', { what: last.what || '' })
      : t('undoSet', { field: fieldLabel(last.field), v: last.before.length > 30 ? last.before.slice(0, 30) + '…' : last.before });
    b.title = t('undoTitleWhat', { what });
  }

  /* Undo the clerk's last save in this page (of this report): a new edit
   * writing the earlier value back (so it syncs and has history); a
   * deleted block gets its "deleted" field back to "".  If the value was
   * changed since (another PC), nothing is written and the clerk is told. */
  const undo = () => replay(S.undo, S.redo, 'undoNothing');
  const redo = () => replay(S.redo, S.undo, 'redoNothing');

  function resolve(entity, name, value) {
    const k = fkey(entity, name);
    S.focusAfter = ['f', entity, name].join(SEP);
    return write(async () => {
      await api('POST', '/api/resolve', { entity, field: name, value });
      S.notices.delete(k);
    }, 'errResolve');
  }

  function resolveFrom(box, value) {
    if (box) resolve(box.dataset.entity, box.dataset.field, value);
  }

  function closeWriter(box) {
    if (!box) return;
    box.querySelector('.write-new').hidden = true;
    const b = box.querySelector('[data-action="write-new"]');
    if (b) b.focus();
  }

  /* ---- 12. history panel ---------------------------------------------- */

  const HISTORY_FIELDS = {
    header: ['number', 'place', 'date', 'doctype', 'title', 'body', 'signer_role', 'signer_name', 'recipients'],
    part: ['num', 'text', 'pos', 'deleted'],
    heading: ['num', 'text', 'pos', 'deleted'],
    para: ['text', 'pos', 'deleted'],
    bullet: ['marker', 'text', 'pos', 'deleted'],
    table: ['pos', 'deleted'],
    row: ['tt', 'name', 'unit', 'prev', 'plan', 'est', 'note', 'deleted'],
  };

  /* GET /api/history for each field of the entity, merged, newest first. */
  async function openHistory(entity, kind, what, returnEl) {
    const panel = $('#history'), body = $('#history-body'), title = $('#history-title');
    const seq = ++S.historySeq;
    S.historyReturn = returnEl ? focusKeyOf(returnEl) : null;
    title.textContent = t('historyTitle', { what });
    body.replaceChildren(h('p', { class: 'muted' }, t('historyLoading')));
    panel.hidden = false;
    title.focus();
    const fields = HISTORY_FIELDS[kind] || HISTORY_FIELDS.para;
    let entries;
    try {
      const lists = await Promise.all(fields.map((f) =>
        api('GET', `/api/history?entity=${encodeURIComponent(entity)}&field=${encodeURIComponent(f)}`)
          .then((d) => (d && Array.isArray(d.history) ? d.history : []).map((x) => Object.assign({}, x, { field: f })))
          .catch((e) => {
            if (e instanceof ApiError && e.status === 404) return [];
            throw e;
          })));
      entries = lists.flat();
    } catch (e) {
      if (seq === S.historySeq) body.replaceChildren(h('p', { class: 'error' }, `${t('errHistory')}: ${errText(e)}`));
      return;
    }
    if (seq !== S.historySeq) return;
    entries.sort((a, b) => timeMs(b.time) - timeMs(a.time));
    if (!entries.length) {
      body.replaceChildren(h('p', null, t('historyNone')));
      return;
    }
    const shown = (v) => str(v) || t('empty');
    const before = (x) => (Array.isArray(x.before) && x.before.length ? x.before.map(shown).join(' | ') : t('empty'));
    body.replaceChildren(h('table', { class: 'history-table' },
      h('thead', null, h('tr', null, h('th', { scope: 'col' }, t('hTime')), h('th', { scope: 'col' }, t('hAuthor')),
        h('th', { scope: 'col' }, t('hField')), h('th', { scope: 'col' }, t('hChange')))),
      h('tbody', null, entries.map((x) => h('tr', null,
        h('td', { class: 'h-time' }, dateTime(x.time)),
        h('td', null, str(x.author) || '?'),
        h('td', null, fieldLabel(x.field)),
        h('td', { class: 'h-change' }, h('span', { class: 'h-before' }, before(x)), ' → ', h('span', { class: 'h-after' }, shown(x.value)),
          restoreButton(entity, x)))))));
  }

  /* "Khôi phục giá trị này": a field's earlier value written again, as a
   * new edit (with expect: what the page shows), undone like a save. */
  function restoreButton(entity, x) {
    const k = fkey(entity, x.field);
    if (['pos', 'deleted'].includes(x.field) || typeof x.value !== 'string' || !S.shown.has(k) ||
        S.conflicts.has(k) || S.shown.get(k) === x.value) return null;
    const b = h('button', { type: 'button', class: 'btn btn-small h-restore' }, t('restoreValue'));
    b.addEventListener('click', () => {
      const expect = S.shown.get(k), value = x.value;
      S.historyReturn = null;
      closeHistory();
      S.focusAfter = ['f', entity, x.field].join(SEP);
      write(async () => {
        const r = await api('POST', '/api/set', { entity, field: x.field, value, expect });
        pushUndo({ entity, field: x.field, before: expect, after: r && typeof r.value === 'string' ? r.value : value });
      }, 'errRestore');
    });
    return h('div', null, b);
  }

  function closeHistory() {
    const panel = $('#history');
    if (panel.hidden) return;
    panel.hidden = true;
    S.historySeq++;
    const back = S.historyReturn && findByFocusKey(S.historyReturn);
    S.historyReturn = null;
    if (back) back.focus();
  }

  /* ---- 12b. sending and the USB exchange ("Gửi & USB") ---------------- */
  /* What the command line does for a clerk: `xasync sync` (Gửi ngay),
   * `report submit` (Gửi lên huyện), `have` / `export-ops` / `apply` (USB),
   * `daemon` (the program that sends by itself).  The commands' messages
   * are English; the clerk reads her own words first, the detail after. */

  /* The clerk's sentence for a failed command's message. */
  function cmdError(what, msg) {
    const m = str(msg);
    let key = what === 'sync' ? 'eSyncLink' : what === 'apply' ? 'eApply' : what === 'export' ? 'eExport' : 'eOther';
    if (/no district server is set/.test(m)) key = 'eNoRemote';
    else if (/disk is full/.test(m)) key = 'eDisk';
    else if (what === 'sync' && /refused|401|403|token|revoked/i.test(m)) key = 'eRefused';
    else if (what === 'sync' && /certificate|TLS/.test(m)) key = 'eTls';
    else if (/of scope '[^']*', but this database holds|an op of scope/.test(m)) key = 'eScope';
    else if (/not an ops (file|document)|not valid JSON|not valid UTF-8|malformed|7-member|NUL|control character/.test(m)) key = what === 'export' ? 'eHaveFile' : 'eNotOps';
    else if (/gap in the seqs/.test(m)) key = 'eGap';
    else if (/restored from a backup|copied|other edits than this PC/.test(m)) key = 'eForged';
    else if (/started from a snapshot/.test(m)) key = 'eSnapshot';
    else if (/version vector|--have/.test(m)) key = 'eHaveFile';
    return m ? `${t(key)} ${t('detail', { d: m })}` : t(key);
  }

  function result(id, ok, text) {
    const el = $(id);
    el.textContent = text;
    el.className = ok ? 'result-ok' : 'result-bad';
  }

  /* The answer of a POST as it came (a file to save), or an ApiError. */
  async function apiRaw(path, body, json = true) {
    let res, blob;
    try {
      res = await fetch(path, {
        method: 'POST', cache: 'no-store', credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', 'X-Xasync-Secret': S.secret },
        body: json ? JSON.stringify(body) : body,
      });
      blob = await res.blob();
    } catch (e) {
      throw new ApiError(0, null);
    }
    if (!res.ok) {
      let data = null;
      try { data = JSON.parse(await blob.text()); } catch (e) { data = null; }
      throw new ApiError(res.status, data);
    }
    return { res, blob };
  }

  /* Save a file the browser received (into Downloads, or where it asks). */
  function download(blob, res, fallback) {
    const cd = res.headers.get('Content-Disposition') || '';
    const m = /filename="([^"]+)"/.exec(cd);
    const a = h('a', { href: URL.createObjectURL(blob), download: m ? m[1] : fallback });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 60000);
    return m ? m[1] : fallback;
  }

  const errOf = (e) => (e instanceof ApiError && e.data && typeof e.data.error === 'string' ? e.data.error : errText(e));

  /* "Gửi ngay": `xasync sync`, watched until it ends. */
  let syncWatch = 0;
  async function syncNow() {
    const button = $('#sync-now');
    if (button.disabled) return;
    button.disabled = true;
    button.textContent = t('syncing');
    result('#sync-result', true, t('syncing'));
    let st;
    try {
      st = await api('POST', '/api/sync', {});
      const run = st.run;
      const end = Date.now() + 10 * 60000;
      while (st.running && Date.now() < end) {
        await new Promise((r) => { syncWatch = setTimeout(r, 400); });
        st = await api('GET', '/api/sync');
        if (st.run !== run) break;
      }
    } catch (e) {
      result('#sync-result', false, cmdError('sync', errOf(e)));
      showBanner(cmdError('sync', errOf(e)));
      st = null;
    }
    button.disabled = false;
    button.textContent = t('syncNow');
    if (!st || st.running) return false;
    if (st.exit === 0) {
      const m = /sent (\d+) ops, received (\d+) ops/.exec(str(st.output));
      const msg = m ? t('syncDone', { s: m[1], r: m[2], t: clock(new Date().toISOString()) }) : t('syncDoneShort');
      result('#sync-result', true, msg);
      showBanner(msg, 'info');
      pollStatusOnce();
      return true;
    }
    const msg = cmdError('sync', st.output);
    result('#sync-result', false, msg);
    showBanner(msg);
    pollStatusOnce();
    return false;
  }

  async function startDaemon() {
    try {
      await api('POST', '/api/daemon', {});
      result('#sync-result', true, t('daemonStarting'));
    } catch (e) {
      result('#sync-result', false, `${t('eDaemon')} ${t('detail', { d: errOf(e) })}`);
    }
    setTimeout(pollStatusOnce, 1000);
  }

  /* "Gửi lên huyện": the version shown is marked sent, then sent now. */
  async function submitReport() {
    if (!S.reportId) return;
    const button = $('#submit-btn');
    button.disabled = true;
    try {
      await api('POST', '/api/submit', { report: S.reportId });
      result('#submit-result', true, t('submitted'));
      await loadReport();
      const ok = await syncNow();
      result('#submit-result', ok, ok ? t('submittedSent') : t('submittedLater'));
    } catch (e) {
      const msg = e instanceof ApiError && e.status === 404 ? t('eNoForm') : `${t('eSubmit')} ${t('detail', { d: errOf(e) })}`;
      result('#submit-result', false, msg);
    }
    button.disabled = false;
  }

  async function downloadHave() {
    try {
      const res = await fetch('/api/have', { cache: 'no-store', credentials: 'same-origin' });
      if (!res.ok) throw new ApiError(res.status, await res.json().catch(() => null));
      const name = download(await res.blob(), res, 'xasync-have.json');
      result('#usb-result', true, t('haveSaved', { f: name }));
    } catch (e) {
      result('#usb-result', false, `${t('eOther')} ${t('detail', { d: errOf(e) })}`);
    }
  }

  async function exportOps() {
    const f = $('#have-file').files[0];
    try {
      const have = f ? await f.text() : null;
      const { res, blob } = await apiRaw('/api/export', { have });
      const name = download(blob, res, 'xasync-ops.json');
      result('#usb-result', true, t('exportSaved', { f: name }));
    } catch (e) {
      result('#usb-result', false, cmdError('export', errOf(e)));
    }
  }

  async function applyOps() {
    const f = $('#apply-file').files[0];
    if (!f) {
      result('#usb-result', false, t('chooseFile'));
      return;
    }
    try {
      const { blob } = await apiRaw('/api/apply', await f.arrayBuffer(), false);
      const r = JSON.parse(await blob.text());
      const m = /applied (\d+) ops \((\d+) already held\)/.exec(str(r.message));
      result('#usb-result', true, m ? t('applied', { n: m[1], d: m[2] }) : t('appliedShort'));
      $('#apply-file').value = '';
      await refreshList();
      await loadReport();
    } catch (e) {
      result('#usb-result', false, cmdError('apply', errOf(e)));
    }
  }

  /* The panel's sentences from the sync status and the report's state. */
  function renderExchange() {
    const s = S.status;
    const b = badgeInfo(S.statusFailed ? null : s);
    $('#net-state').textContent = b.text;
    const off = !!(s && s.daemon === false);
    const ds = $('#daemon-state');
    ds.textContent = !s ? '' : off ? t('daemonOff') : t('daemonOn');
    ds.className = off ? 'daemon-off' : '';
    $('#daemon-start').hidden = !off;
    $('#daemon-off').hidden = !(off && s && s.remote);
    const st = S.report && S.report.state;
    $('#report-state').textContent = !S.report ? '' : stateText(st) || t('stateNoForm');
    $('#submit-btn').disabled = !st;
  }

  /* A report's life in the clerk's words. */
  function stateText(st) {
    if (!st || typeof st !== 'object') return '';
    const at = st.sent_at ? dateTime(st.sent_at) : '';
    if (st.state === 'returned') return t('stReturned', { r: str(st.reason) || t('empty') });
    if (st.state === 'accepted') return st.edited ? t('stAcceptedEdited') : t('stAccepted', { t: at });
    if (st.state === 'sent') return st.edited ? t('stEdited', { t: at }) : t('stSent', { t: at });
    return t('stDraft');
  }

  /* Above the report: a returned report with the district's reason. */
  function stateNote() {
    const st = S.report && S.report.state;
    if (!st || !['returned', 'accepted', 'sent'].includes(st.state)) return null;
    const cls = st.state === 'returned' ? 'state-note returned' : st.state === 'accepted' ? 'state-note accepted' : 'state-note sent';
    return h('div', { class: cls, id: 'state-note', role: 'note', 'data-state': st.state }, stateText(st));
  }

  async function pollStatusOnce() {
    try {
      const s = await api('GET', '/api/status');
      S.status = s && typeof s === 'object' ? s : {};
      S.statusFailed = false;
    } catch (e) {
      S.statusFailed = true;
    }
    renderBadge();
  }

  function openExchange() {
    const panel = $('#exchange');
    $('#history').hidden = true;
    $('#help').hidden = true;
    renderExchange();
    panel.hidden = false;
    $('#exchange-title').focus();
  }

  function closeExchange() {
    if ($('#exchange').hidden) return;
    $('#exchange').hidden = true;
    $('#exchange-btn').focus();
  }

  /* ---- 12e. first run and a first report ----------------------------- */
  /* No database: the setup page (POST /api/setup).  No report: a new one
   * from the district's form (POST /api/new) or a .txt file (POST
   * /api/import). */

  const labelled = (id, key, input) => h('p', { class: 'setup-field' }, h('label', { for: id }, t(key)), input);

  function renderSetup() {
    const go = h('button', { type: 'submit', class: 'btn btn-primary', id: 'setup-go' }, t('setupGo'));
    const file = h('input', { type: 'file', id: 'setup-token-file', accept: '.txt,.token,.key,text/plain' });
    /* the commune: from the district's list once its address answers
     * (POST /api/communes), typed otherwise */
    const list = h('select', { id: 'setup-scope-list' });
    const listField = labelled('setup-scope-list', 'setupScopeList', list);
    const typedField = labelled('setup-scope', 'setupScope', h('input', { type: 'text', id: 'setup-scope', autocomplete: 'off', spellcheck: 'false' }));
    const note = h('p', { id: 'setup-scope-note', class: 'muted' });
    listField.hidden = true;
    const form = h('form', { id: 'setup', class: 'setup' },
      h('h1', null, t('setupHead')), h('p', null, t('setupIntro')),
      labelled('setup-url', 'setupUrl', h('input', { type: 'text', inputmode: 'url', id: 'setup-url', autocomplete: 'off', spellcheck: 'false' })),
      listField, typedField, note,
      labelled('setup-token', 'setupToken', h('textarea', { id: 'setup-token', rows: '2', spellcheck: 'false' })),
      h('p', null, file), h('p', null, go), h('p', { id: 'setup-result', role: 'status', 'aria-live': 'polite' }));
    let listFor = null, listTimer = 0;
    const typedScope = () => $('#setup-scope').value.trim();
    const showTyped = () => { typedField.hidden = !listField.hidden && list.value !== ''; };
    list.addEventListener('change', showTyped);
    const loadCommunes = async () => {
      const url = $('#setup-url').value.trim();
      if (url === listFor) return; /* listed already */
      listFor = null;
      if (!/^https?:\/\/./.test(url)) {
        listField.hidden = true;
        typedField.hidden = false;
        note.textContent = '';
        return;
      }
      let got = [];
      try {
        const r = await api('POST', '/api/communes', { url });
        got = r && Array.isArray(r.communes) ? r.communes.filter((c) => c && typeof c.scope === 'string') : [];
      } catch (e) { got = []; }
      if (url !== $('#setup-url').value.trim()) return; /* typed on since */
      if (!got.length) {
        listField.hidden = true;
        typedField.hidden = false;
        note.textContent = t('setupTypedNote');
        note.dataset.state = 'typed';
        return;
      }
      listFor = url;
      const keep = list.value || typedScope();
      list.replaceChildren(...got.map((c) => h('option', { value: c.scope }, c.name ? `${str(c.name)} (${c.scope})` : c.scope)),
        h('option', { value: '' }, t('setupScopeOther')));
      if (got.some((c) => c.scope === keep)) list.value = keep;
      listField.hidden = false;
      note.textContent = t('setupListNote');
      note.dataset.state = 'list';
      showTyped();
    };
    form.addEventListener('input', (e) => {
      if (e.target.id !== 'setup-url') return;
      clearTimeout(listTimer);
      listTimer = setTimeout(loadCommunes, 400);
    });
    form.addEventListener('focusout', (e) => { if (e.target.id === 'setup-url') loadCommunes(); });
    file.addEventListener('change', async () => {
      const f = file.files[0];
      if (f) $('#setup-token').value = (await f.text()).trim();
    });
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const scope = !listField.hidden && list.value ? list.value : typedScope();
      const url = $('#setup-url').value.trim(), token = $('#setup-token').value.trim();
      if (!token) {
        result('#setup-result', false, t('eSetupToken'));
        return;
      }
      go.disabled = true;
      result('#setup-result', true, t('setupWorking'));
      try {
        await api('POST', '/api/setup', { scope, url, token });
        result('#setup-result', true, t('setupDone'));
        S.setup = false;
        await startEditor();
      } catch (err) {
        const d = err instanceof ApiError && err.data ? err.data : {};
        const msg = str(d.error);
        const key = { scope: 'eSetupScope', url: 'eSetupUrl', token: 'eSetupToken' }[d.step];
        result('#setup-result', false, key ? `${t(key)} ${t('detail', { d: msg })}` :
          d.step === 'sync' ? cmdError('sync', msg) : `${t('eSetup')} ${t('detail', { d: msg || errText(err) })}`);
      }
      go.disabled = false;
    });
    main.replaceChildren(form);
    $('#setup-url').focus();
  }

  /* The period after `p` (2024-h1 -> 2024-h2, 2024 -> 2025, 2024-q4 ->
   * 2025-q1, 2024-12 -> 2025-01); '' when `p` is none of those. */
  function nextPeriod(p) {
    let m = /^(\d{4})$/.exec(p);
    if (m) return String(+m[1] + 1);
    if ((m = /^(\d{4})-h([12])$/.exec(p))) return m[2] === '1' ? `${m[1]}-h2` : `${+m[1] + 1}-h1`;
    if ((m = /^(\d{4})-q([1-4])$/.exec(p))) return m[2] === '4' ? `${+m[1] + 1}-q1` : `${m[1]}-q${+m[2] + 1}`;
    if ((m = /^(\d{4})-(\d{2})$/.exec(p))) return m[2] === '12' ? `${+m[1] + 1}-01` : `${m[1]}-${String(+m[2] + 1).padStart(2, '0')}`;
    return '';
  }

  /* A command's message "English / tiếng Việt" (the importer's refusals):
   * the clerk's language's half. */
  function bilingual(msg) {
    const m = str(msg), at = m.indexOf(' / ');
    if (at < 0) return m;
    const vi = (x) => /[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]/i.test(x);
    const a = m.slice(0, at), b = m.slice(at + 3);
    if (vi(b) && !vi(a)) return S.lang === 'en' ? a : b;
    if (vi(a) && !vi(b)) return S.lang === 'en' ? b : a;
    return m;
  }

  /* What an empty PC offers: a new report, a file, or a copy of last
   * period's report. */
  async function renderStart() {
    let forms = [];
    try {
      const r = await api('GET', '/api/forms');
      forms = r && Array.isArray(r.forms) ? r.forms : [];
    } catch (e) { forms = []; }
    const sel = h('select', { id: 'new-form' }, forms.map((f) => h('option', { value: str(f.id) }, `${str(f.title) || str(f.id)} (${str(f.id)})`)));
    const period = h('input', { type: 'text', id: 'new-period', autocomplete: 'off', spellcheck: 'false' });
    const newGo = h('button', { type: 'button', class: 'btn btn-primary', id: 'new-go' }, t('newGo'));
    const file = h('input', { type: 'file', id: 'import-file',
      accept: '.txt,.docx,text/plain,application/vnd.openxmlformats-officedocument.wordprocessingml.document' });
    const importGo = h('button', { type: 'button', class: 'btn', id: 'import-go' }, t('importGo'));
    const before = new Set(S.reports.map((r) => r.id));
    const after = async (msg) => {
      result('#new-result', true, msg);
      await loadReports();
      /* the report just made is the one shown */
      const made = S.reports.find((r) => !before.has(r.id));
      if (made && made.id !== S.reportId) {
        S.reportId = made.id;
        $('#report-picker').value = made.id;
        try { localStorage.setItem('xasync.report', made.id); } catch (e) { /* not kept */ }
        await loadReport({ top: true });
      }
    };
    newGo.addEventListener('click', async () => {
      try {
        await api('POST', '/api/new', { form: sel.value, period: period.value.trim() });
        await after(t('newDone'));
      } catch (e) {
        result('#new-result', false, `${t('eNew')} ${t('detail', { d: errOf(e) })}`);
      }
    });
    importGo.addEventListener('click', async () => {
      const f = file.files[0];
      if (!f) {
        result('#new-result', false, t('chooseFile'));
        return;
      }
      try {
        await apiRaw('/api/import', await f.arrayBuffer(), false);
        await after(t('newDone'));
      } catch (e) {
        result('#new-result', false, `${t('eImport')} ${t('detail', { d: bilingual(errOf(e)) })}`);
      }
    });
    /* the latest report (by period) offered for a copy, its next period proposed */
    const held = S.reports.slice().sort((a, b) => str(b.period).localeCompare(str(a.period)));
    const copyFrom = h('select', { id: 'copy-from' }, held.map((r) =>
      h('option', { value: str(r.id) }, `${str(r.title) || str(r.id)} (${str(r.period) || str(r.id)})`)));
    const copyPeriod = h('input', { type: 'text', id: 'copy-period', autocomplete: 'off', spellcheck: 'false' });
    const copyGo = h('button', { type: 'button', class: 'btn', id: 'copy-go' }, t('copyGo'));
    const propose = () => {
      const r = held.find((x) => x.id === copyFrom.value);
      copyPeriod.value = r ? nextPeriod(str(r.period)) : '';
    };
    copyFrom.addEventListener('change', propose);
    propose();
    copyGo.addEventListener('click', async () => {
      copyGo.disabled = true;
      try {
        await api('POST', '/api/copy', { from: copyFrom.value, period: copyPeriod.value.trim() });
        await after(t('newDone'));
      } catch (e) {
        result('#new-result', false, `${t('eCopy')} ${t('detail', { d: bilingual(errOf(e)) })}`);
      }
      copyGo.disabled = false;
    });
    main.replaceChildren(h('section', { id: 'start', class: 'setup' },
      h('h1', null, t('newHead')), S.reports.length ? null : h('p', { class: 'empty' }, t('noReports')),
      h('h2', null, t('newForm')),
      forms.length ? [labelled('new-form', 'newForm', sel), labelled('new-period', 'newPeriod', period), h('p', null, newGo)]
        : h('p', { id: 'no-forms' }, t('newNoForms')),
      h('h2', null, t('importHead')), h('p', null, file), h('p', null, importGo),
      held.length ? [h('h2', null, t('copyHead')), h('p', null, t('copyIntro')),
        labelled('copy-from', 'copyFrom', copyFrom), labelled('copy-period', 'copyPeriod', copyPeriod),
        h('p', null, copyGo)] : null,
      h('p', { id: 'new-result', role: 'status', 'aria-live': 'polite' })));
  }

  /* ---- 12c. who is writing ------------------------------------------- */
  /* The author of every edit, chosen here and kept per PC by the editor
   * (GET/POST /api/author). */

  async function loadAuthor() {
    try {
      const r = await api('GET', '/api/author');
      S.author = r && typeof r.author === 'string' ? r.author : '';
    } catch (e) { /* the badge tells */ }
    $('#author-name').textContent = S.author || '?';
  }

  function openAuthor() {
    const form = $('#author-form');
    $('#author-input').value = S.author || '';
    $('#author-error').hidden = true;
    form.hidden = false;
    $('#author-btn').setAttribute('aria-expanded', 'true');
    $('#author-input').select();
    $('#author-input').focus();
  }

  function closeAuthor(back = true) {
    $('#author-form').hidden = true;
    $('#author-btn').setAttribute('aria-expanded', 'false');
    if (back) $('#author-btn').focus();
  }

  async function saveAuthor(e) {
    e.preventDefault();
    const name = $('#author-input').value.trim();
    try {
      const r = await api('POST', '/api/author', { author: name });
      S.author = r && typeof r.author === 'string' ? r.author : name;
      $('#author-name').textContent = S.author;
      closeAuthor();
      showBanner(t('authorSaved', { a: S.author }), 'info');
    } catch (err) {
      const el = $('#author-error');
      el.textContent = `${t('eAuthor')} ${t('detail', { d: errOf(err) })}`;
      el.hidden = false;
    }
  }

  /* ---- 12d. help ------------------------------------------------------ */

  function renderHelp() {
    const badge = (state, key) => h('li', null, h('span', { class: 'help-badge', 'data-state': state }, h('span', { class: 'dot', 'aria-hidden': 'true' })), ' ', t(key));
    $('#help-body').replaceChildren(
      h('section', { class: 'xsec', id: 'help-badges' }, h('h3', null, t('hBadges')),
        h('ul', { class: 'help-list' }, badge('sent', 'hSent'), badge('waiting', 'hWaiting'), badge('offline', 'hOffline'),
          badge('noremote', 'hNoRemote'), h('li', null, t('hSaved')),
          h('li', null, h('span', { class: 'conflict-mark' }, t('conflictMark')), ' ', t('hConflictMark').replace(/^[^:]*:\s*/, '')),
          h('li', null, icon('warn', 'finding-icon'), ' ', t('hFinding')), h('li', null, t('hBadNumber')), h('li', null, t('hState')))),
      h('section', { class: 'xsec', id: 'help-usb' }, h('h3', null, t('hUsb')), h('p', null, t('hUsb1')),
        h('ol', null, h('li', null, t('hUsb2')), h('li', null, t('hUsb3')), h('li', null, t('hUsb4')))),
      h('section', { class: 'xsec', id: 'help-conflict' }, h('h3', null, t('hConflict')),
        h('p', null, t('hConflict1')), h('p', null, t('hConflict2')), h('p', null, t('hConflict3'))),
      h('section', { class: 'xsec', id: 'help-keys' }, h('h3', null, t('hKeys')), h('p', null, t('hKeys1'))));
  }

  function openHelp() {
    $('#history').hidden = true;
    $('#exchange').hidden = true;
    renderHelp();
    $('#help').hidden = false;
    $('#help-title').focus();
  }

  function closeHelp() {
    if ($('#help').hidden) return;
    $('#help').hidden = true;
    $('#help-btn').focus();
  }

  /* ---- 13. outline, language, start ----------------------------------- */

  function renderOutline() {
    const nav = $('#outline');
    const item = (target, text, cls, mark) => h('li', { class: cls },
      h('a', { href: '#' + target, 'data-target': target, class: mark ? 'has-conflict' : null, title: text }, text));
    const list = h('ol', { class: 'outline-list' }, item('doc-header', t('outlineHeader'), 'lvl-0 lvl-doc', S.report.header.conflict === true));
    for (const b of S.display) {
      if (b.kind === 'part' || b.kind === 'heading') {
        list.append(item('blk-' + b.id, `${b.num} ${b.text}`.trim() || '…', 'lvl-' + headingLevel(b), b.conflict));
      } else if (b.kind === 'table') {
        list.append(item('blk-' + b.id, t('outlineTable'), 'lvl-table', b.conflict || (S.rowsByTable.get(b.id) || []).some((r) => r.conflict)));
      }
    }
    const nf = Array.isArray(S.report.findings) ? S.report.findings.length : 0;
    if (nf) {
      list.append(h('li', { class: 'lvl-0 lvl-findings' },
        h('a', { href: '#', 'data-jump': 'finding', title: t('jumpFindingTitle') }, t('outlineFindings', { n: nf }))));
    }
    nav.replaceChildren(h('h2', { class: 'outline-title' }, t('outline')), list);
  }

  /* Alt+B: to the indicator table's first figure; Alt+K: to the first
   * finding (also a link in the outline). */
  function focusAt(el) {
    if (!el) return false;
    el.scrollIntoView({ block: 'center' });
    if (!el.matches('input, textarea, button, select, a, [tabindex]')) el.setAttribute('tabindex', '-1');
    el.focus({ preventScroll: true });
    return true;
  }

  function jumpTable() {
    const table = $('#main table');
    return table ? focusAt(table.querySelector('td .fld-input:not([readonly])') || table) : false;
  }

  function jumpFinding() {
    return focusAt($('#main td.has-finding .fld-input') || $('#main .finding button') || $('#main .finding') ||
      $('#main .finding-icon'));
  }

  function onOutlineClick(e) {
    const j = e.target.closest('a[data-jump]');
    if (j) {
      e.preventDefault();
      jumpFinding();
      return;
    }
    const a = e.target.closest('a[data-target]');
    if (!a) return;
    e.preventDefault();
    const el = document.getElementById(a.dataset.target);
    if (!el) return;
    el.scrollIntoView({ block: 'start' });
    const f = el.querySelector('.fld-input, .conflict button, .tool:not([disabled])');
    if (f) f.focus({ preventScroll: true });
  }

  function loadLang() {
    try {
      const v = localStorage.getItem('xasync.lang');
      return v === 'en' ? 'en' : 'vi';
    } catch (e) {
      return 'vi';
    }
  }

  function setLang(lang) {
    S.lang = lang;
    try {
      localStorage.setItem('xasync.lang', lang);
    } catch (e) { /* private mode: not remembered */ }
    applyStatic();
    renderBadge();
    renderUndo();
    if (S.report) render();
    if (!$('#help').hidden) renderHelp();
    renderExchange();
  }

  /* Labels written in index.html (data-i18n, data-i18n-title, data-i18n-aria). */
  function applyStatic() {
    document.documentElement.lang = S.lang;
    for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
    for (const el of document.querySelectorAll('[data-i18n-title]')) el.title = t(el.dataset.i18nTitle);
    for (const el of document.querySelectorAll('[data-i18n-aria]')) el.setAttribute('aria-label', t(el.dataset.i18nAria));
    $('#lang-btn').lang = S.lang === 'vi' ? 'en' : 'vi';
    if (!S.report) document.title = `${t('appName')} — xasync`;
  }

  function setTopbarHeight() {
    document.documentElement.style.setProperty('--topbar-h', $('#topbar').offsetHeight + 'px');
  }

  function boot() {
    S.lang = loadLang();
    const meta = document.querySelector('meta[name="xasync-secret"]');
    S.secret = meta ? meta.getAttribute('content') || '' : '';
    applyStatic();
    setTopbarHeight();
    if (!S.secret || S.secret === '@SECRET@') showBanner(t('errNoSecret'), 'info');

    main.addEventListener('input', onInput);
    main.addEventListener('compositionstart', () => { S.composing = true; });
    main.addEventListener('compositionend', () => { S.composing = false; });
    /* leaving (F5, closing the tab) with typing not yet saved asks first */
    window.addEventListener('beforeunload', (e) => {
      if (!unsaved()) return;
      e.preventDefault();
      e.returnValue = '';
    });
    main.addEventListener('keydown', onKeyDown);
    main.addEventListener('focusout', onFocusOut);
    main.addEventListener('click', onClick);
    $('#outline').addEventListener('click', onOutlineClick);
    $('#report-picker').addEventListener('change', (e) => {
      S.reportId = e.target.value;
      try { localStorage.setItem('xasync.report', S.reportId); } catch (err) { /* not kept */ }
      S.notices.clear();
      S.shown = new Map();
      renderUndo();
      loadReport({ top: true });
    });
    $('#undo-btn').addEventListener('click', () => undo());
    $('#sync-now').addEventListener('click', () => syncNow());
    $('#help-btn').addEventListener('click', () => ($('#help').hidden ? openHelp() : closeHelp()));
    $('#help-close').addEventListener('click', closeHelp);
    $('#author-btn').addEventListener('click', () => ($('#author-form').hidden ? openAuthor() : closeAuthor()));
    $('#author-form').addEventListener('submit', saveAuthor);
    $('#author-cancel').addEventListener('click', () => closeAuthor());
    $('#author-form').addEventListener('keydown', (e) => {
      if (e.key === 'Escape') {
        e.preventDefault();
        closeAuthor();
      }
    });
    $('#exchange-btn').addEventListener('click', () => ($('#exchange').hidden ? openExchange() : closeExchange()));
    $('#exchange-close').addEventListener('click', closeExchange);
    $('#daemon-start').addEventListener('click', startDaemon);
    $('#daemon-off').addEventListener('click', startDaemon);
    $('#submit-btn').addEventListener('click', submitReport);
    $('#new-report-btn').addEventListener('click', () => {
      $('#exchange').hidden = true;
      S.report = null;
      S.shown = new Map();
      renderStart();
    });
    $('#have-btn').addEventListener('click', downloadHave);
    $('#export-btn').addEventListener('click', exportOps);
    $('#apply-btn').addEventListener('click', applyOps);
    $('#redo-btn').addEventListener('click', () => redo());
    /* Ctrl+Z, Ctrl+Y (Ctrl+Shift+Z): the text field's own undo while
     * typing there; else the last save */
    document.addEventListener('keydown', (e) => {
      if (!(e.ctrlKey || e.metaKey) || e.altKey || e.isComposing) return;
      const key = e.key.toLowerCase();
      const isUndo = key === 'z' && !e.shiftKey, isRedo = key === 'y' || (key === 'z' && e.shiftKey);
      if (!isUndo && !isRedo) return;
      const el = document.activeElement;
      if (el && el.matches && el.matches('.fld-input.dirty, .resolve-input, select')) return;
      e.preventDefault();
      if (isUndo) undo();
      else redo();
    });
    $('#print-btn').addEventListener('click', () => {
      if (S.reportId) window.open('/print?report=' + encodeURIComponent(S.reportId), '_blank', 'noopener');
    });
    $('#lang-btn').addEventListener('click', () => setLang(S.lang === 'vi' ? 'en' : 'vi'));
    $('#banner-close').addEventListener('click', hideBanner);
    $('#history-close').addEventListener('click', closeHistory);
    document.addEventListener('keydown', (e) => {
      if (!e.altKey || e.ctrlKey || e.metaKey || e.isComposing) return;
      const k = e.key.toLowerCase();
      if (k === 'b' && jumpTable()) e.preventDefault();
      else if (k === 'k' && jumpFinding()) e.preventDefault();
    });
    document.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && !$('#history').hidden && !e.defaultPrevented) closeHistory();
      else if (e.key === 'Escape' && !$('#exchange').hidden && !e.defaultPrevented) closeExchange();
      else if (e.key === 'Escape' && !$('#help').hidden && !e.defaultPrevented) closeHelp();
    });
    let resizeTimer = 0;
    window.addEventListener('resize', () => {
      clearTimeout(resizeTimer);
      resizeTimer = setTimeout(() => {
        setTopbarHeight();
        autosizeAll();
      }, 150);
    });

    startEditor();
  }

  /* The editor, once this PC has its database (else the setup page). */
  async function startEditor() {
    let setup = null;
    try {
      setup = await api('GET', '/api/setup');
    } catch (e) { setup = null; }
    if (setup && setup.needed === true) {
      S.setup = true;
      renderSetup();
      return;
    }
    pollStatus();
    loadAuthor();
    await loadReports();
    setTimeout(pollChanges, LIVE_MS);
  }

  /* For tests: the number functions, pure. */
  window.xasyncUI = Object.freeze({ parseVn, formatVn, ratioVn, subVn, deriveRow });

  boot();
})();
