import Foundation
import MSKTestSupport

